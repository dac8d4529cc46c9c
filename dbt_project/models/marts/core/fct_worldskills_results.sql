-- CIS results (championship competitors and demonstration-exam examinees) of accepted exports.
-- region_code: the college's passport region that academic year; the region CIS wrote is kept
-- as cis_region_code (used only when the college is not in that year's register).
select
    w.year,
    w.academic_year,
    w.event_id,
    w.event_type,
    w.event_name,
    w.level,
    w.stream,
    w.event_date,
    w.skill,
    w.competitor_iin_hash,
    w.competitor_iin_valid,
    w.college_bin,
    coalesce(p.region_code, w.region_code) as region_code,
    w.region_code as cis_region_code,
    p.college_bin is not null as college_in_register,
    w.mark,
    w.medal,
    w.advanced,
    w.passed,
    'CIS' as source,
    {{ lineage_columns('w') }}
from {{ ref('int_worldskills__accepted_results') }} as w
left join {{ ref('int_passports__register') }} as p
    on p.college_bin = w.college_bin
    and p.academic_year = w.academic_year
