-- GX frame `nobd_submission.header`: the header rows of every NOBD submission version, columns
-- named as in the contract (expectations/nobd_submission.*.json, sheet `header`).
-- `_college_bin` is who a finding is about (the file name's college); `college_bin` is the value
-- as written (its check digit is tested through `college_bin_valid`, added by the runner).
-- The identity columns are NULL when all is well and otherwise say what disagrees, naming both
-- values (the finding shows that text): a file filed under one college or round that speaks of
-- another is held back, never credited to either.
with

header as (
    select
        h.*,
        count(*) over (partition by h._file_id) as header_rows,
        row_number() over (partition by h._file_id order by h._row_number) as header_row_index
    from {{ ref('stg_nobd__header') }} as h
)

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
    h.signer_position,
    -- Language-neutral values; the rule's kk/ru message says which is which.
    case
        when h.college_bin is not null and h.college_bin <> c.college_bin
            then c.college_bin || ' ≠ ' || h.college_bin
    end as bin_mismatch,
    case
        when c.name_round_id <> c.round_id
            or (h.round_id is not null and h.round_id <> c.round_id)
            then concat_ws(' | ', c.name_round_id, coalesce(h.round_id, '—'), c.round_id)
    end as round_mismatch,
    case when h.header_row_index > 1 then cast(h.header_rows as varchar) end as extra_header_row
from header as h
inner join {{ ref('dq_submission_versions') }} as c
    on c.file_id = h._file_id
