{{ config(materialized='view', schema='dq_prep', tags=['dq_prep']) }}
-- The NOBD submissions the data-quality step validates: the current version per college and round
-- (registry status loaded or held_back; docs/ARCHITECTURE.md "Where a finding sits").
-- A view on the registry view, so it shows the status as it is at query time: the runner sets
-- held_back/loaded first and only then reads the submission frame, whose temporal rule compares
-- against the previous round's *accepted* submission.
with

rounds as (
    select
        *,
        lag(round_id) over (order by reference_date, round_id) as previous_round_id
    from {{ ref('stg_ref__calendar') }}
)

select
    f.file_id,
    f.path as file_path,
    f.partition_key as round_id,
    -- The college a submission belongs to, for attribution: the BIN in the file name (contract
    -- file_regex `<college_bin>_<round_id>_v<N>`), which stays right when the header's BIN is
    -- mistyped; the registry's BIN (read from the header) otherwise.
    coalesce(nullif(regexp_extract(f.path, '(\d{12})_[^/]*$', 1), ''), f.college_bin) as college_bin,
    f.status,
    f.is_accepted,
    f.signed_at,
    r.academic_year,
    r.year,
    r.reference_date,
    r.previous_round_id
from {{ ref('stg_landing_files') }} as f
left join rounds as r
    on r.round_id = f.partition_key
where f.source = 'nobd_submission'
    and f.is_current
