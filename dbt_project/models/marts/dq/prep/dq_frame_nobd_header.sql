{{ config(materialized='view', schema='dq_prep', tags=['dq_prep']) }}
-- GX frame `nobd_submission.header`: the header row of every current NOBD submission, columns
-- named as in the contract (expectations/nobd_submission.*.json, sheet `header`).
-- `_college_bin` is who a finding is about; `college_bin` is the value as written (its check
-- digit is tested through `college_bin_valid`, which the runner adds with pipelines.identifiers).
select
    h._file_id,
    h._row_number,
    c.college_bin as _college_bin,
    h.college_bin,
    h.college_name,
    h.region_raw as region,
    -- NULL when empty (domain.required_value reports that), else whether staging knew it.
    case when h.region_raw is not null then h.region_code is not null end as region_known,
    h.round_id,
    h.reference_date,
    h.signed_at,
    h.signer_position
from {{ ref('stg_nobd__header') }} as h
inner join {{ ref('dq_current_submissions') }} as c
    on c.file_id = h._file_id
