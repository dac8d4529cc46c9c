-- One row per quarantined row (docs/ARCHITECTURE.md "Acceptance policy"): left out of facts and
-- indicators, listed in the region's pack with the rules it failed. Region and period as in
-- marts.fct_dq_findings.
select
    f.round_id,
    f.year,
    f.source,
    f.college_bin,
    f.region_code,
    f.file_id,
    f.file_path,
    f.sheet,
    f.row_number,
    string_agg(distinct f.rule_id, ', ' order by f.rule_id) as rule_ids
from {{ ref('fct_dq_findings') }} as f
where f.severity = 'quarantine'
    and f.row_number is not null
group by all
