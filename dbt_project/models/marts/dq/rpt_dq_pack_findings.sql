-- The findings each round's report packs list (docs/ARCHITECTURE.md "Data-quality output"): one
-- row per finding and pack round. A round's packs hold the round's own findings and those of the
-- yearly sources (passport, CIS) of its academic year, which the region must also fix; so a
-- yearly finding is listed in both rounds of its year.
-- pack_region_code = the region the finding's college is expected in at the pack's round (as in
-- marts.fct_dq_submission_status). A college not expected then (a CIS row naming a college outside
-- the register, a closed college's passport) is in no region's pack (NULL): its findings are
-- listed in the national overview, where the ministry sees them. This differs on purpose from
-- fct_dq_findings.region_code, the region the finding counts in for statistics, which falls back to
-- the region the finding's own file names. A finding on a region's answer file goes back to the
-- region that sent it (its region_code, the region of the file name).
with

findings as (
    select * from {{ ref('fct_dq_findings') }}
),

rounds as (
    select round_id, cast(substr(academic_year, 1, 4) as integer) as year
    from {{ ref('dim_round') }}
),

expected as (
    select round_id, college_bin, region_code from {{ ref('fct_expected_colleges') }}
)

select
    r.round_id as pack_round_id,
    case when f.source = 'dq_response' then f.region_code else e.region_code end
        as pack_region_code,
    f.finding_id,
    f.round_id,
    f.year,
    f.college_bin,
    f.region_code,
    f.source,
    f.file_id,
    f.file_path,
    f.sheet,
    f.row_number,
    f.field,
    f.rule_id,
    f.severity,
    f.offending_value,
    f.message_kk,
    f.message_ru,
    f.state,
    f.response,
    f.explanation,
    f.answered_by,
    f.answered_on
from rounds as r
inner join findings as f
    on f.round_id = r.round_id
    or (f.round_id is null and f.year = r.year)
left join expected as e
    on e.round_id = r.round_id
    and e.college_bin = f.college_bin
