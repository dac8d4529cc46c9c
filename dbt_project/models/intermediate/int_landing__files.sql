-- Every file version as the data-quality step leaves it: the registry with the statuses the
-- step decided (which NOBD version of each college and round is current: loaded / held_back /
-- superseded; docs/ARCHITECTURE.md "Acceptance policy") and the count of the step's findings on
-- the file by severity. Reading dq.findings is what orders this table, and every model that
-- needs the decided statuses, after the step.
with

findings as (
    select
        file_id,
        count(*) filter (where severity = 'hold') as hold_findings,
        count(*) filter (where severity = 'quarantine') as quarantine_findings,
        count(*) filter (where severity = 'warning') as warning_findings
    from {{ source('dq', 'findings') }}
    group by file_id
)

select
    f.*,
    coalesce(d.hold_findings, 0) as hold_findings,
    coalesce(d.quarantine_findings, 0) as quarantine_findings,
    coalesce(d.warning_findings, 0) as warning_findings
from {{ ref('stg_landing_files') }} as f
left join findings as d
    on d.file_id = f.file_id
