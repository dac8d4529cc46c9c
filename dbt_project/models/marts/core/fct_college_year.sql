-- One row per college per academic year from its passport (the register), with whether it was
-- expected that year and its CIS activity (demonstration exams, championship results).
with

register as (
    select * from {{ ref('int_passports__register') }}
),

expected as (
    select * from {{ ref('int_expected__college_years') }}
),

cis as (
    select
        academic_year,
        college_bin,
        count(*) filter (where event_type = 'demo_exam') as demo_exam_results,
        count(*) filter (where event_type = 'demo_exam' and passed) as demo_exam_passed,
        count(*) filter (where event_type = 'championship') as championship_results,
        count(*) filter (
            where event_type = 'championship' and medal in ('gold', 'silver', 'bronze')
        ) as championship_medals
    from {{ ref('int_worldskills__accepted_results') }}
    group by academic_year, college_bin
)

select
    p.academic_year,
    p.passport_year,
    p.college_bin,
    -- The region the indicators use (the register's: a region not yet created counts in its parent).
    case when e.college_bin is not null then e.region_code else p.region_code end as region_code,
    p.settlement_type,
    p.ownership,
    e.college_bin is not null as expected,
    coalesce(e.expected_rounds, 0) as expected_rounds,
    coalesce(e.accepted_rounds, 0) as accepted_rounds,
    {%- for column in passport_fact_columns() %}
    p.{{ column }},
    {%- endfor %}
    p.barrier_free_all,
    coalesce(c.demo_exam_results, 0) > 0 as has_demo_exam_result,
    coalesce(c.demo_exam_results, 0) as demo_exam_results,
    coalesce(c.demo_exam_passed, 0) as demo_exam_passed,
    coalesce(c.championship_results, 0) as championship_results,
    coalesce(c.championship_medals, 0) as championship_medals,
    'passport' as source,
    p._file_id as file_id
from register as p
left join expected as e
    on e.college_bin = p.college_bin
    and e.academic_year = p.academic_year
left join cis as c
    on c.college_bin = p.college_bin
    and c.academic_year = p.academic_year
