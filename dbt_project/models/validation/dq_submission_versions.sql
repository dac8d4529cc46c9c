-- The NOBD submission versions the data-quality step validates: every readable version present
-- under landing/ (docs/ARCHITECTURE.md "Acceptance policy"). Which of them is current depends on
-- what validation finds, so the step validates them all and then decides (pipelines/quality/
-- currency.py). A view on the registry view, so it shows the status as it is at query time: the
-- runner decides the statuses first and only then reads the submission frame, whose rules
-- compare against the previous round's *accepted* submission.
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
    -- The owner, decided once by the ingest: the college of the file name.
    f.college_bin,
    f.name_round_id,
    f.header_college_bin,
    f.header_round_id,
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
    and f.status <> 'rejected'
    and f.is_present
