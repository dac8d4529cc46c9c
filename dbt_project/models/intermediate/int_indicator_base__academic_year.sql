-- Base of the academic-year indicators: one row per college expected in the year, with its
-- passport flags and whether the year's CIS exports hold a demonstration exam of it.
with

expected as (
    select * from {{ ref('int_expected__college_years') }}
),

register as (
    select * from {{ ref('int_passports__register') }}
),

demo_exam_colleges as (
    select distinct
        academic_year,
        college_bin
    from {{ ref('int_worldskills__accepted_results') }}
    where event_type = 'demo_exam'
)

select
    'academic_year' as grain,
    e.academic_year as period,
    e.academic_year,
    e.college_bin,
    e.region_code,
    e.settlement_type,
    e.ownership,
    -- Expected colleges are exactly the register's open colleges: each has its passport row.
    true as in_register,
    1 as expected,
    d.college_bin is not null as has_demo_exam_result,
    p.barrier_free_all
from expected as e
inner join register as p
    on p.college_bin = e.college_bin
    and p.academic_year = e.academic_year
left join demo_exam_colleges as d
    on d.college_bin = e.college_bin
    and d.academic_year = e.academic_year
