-- Reporting rates per round, nationally and per region (DHIS2 vocabulary): expected colleges,
-- actual (accepted current submission, on time or late) and actual on time. The numerators are
-- subsets of the expected set, so a rate can never exceed 1 (a dbt test asserts it).
with

status as (
    select * from {{ ref('fct_dq_submission_status') }}
    where status <> 'superseded'
),

by_level as (
    select
        round_id,
        'national' as level,
        cast(null as varchar) as region_code,
        count(*) as expected,
        count(*) filter (where status in ('on_time', 'late')) as actual,
        count(*) filter (where status = 'on_time') as actual_on_time
    from status
    group by round_id

    union all

    select
        round_id,
        'region' as level,
        region_code,
        count(*) as expected,
        count(*) filter (where status in ('on_time', 'late')) as actual,
        count(*) filter (where status = 'on_time') as actual_on_time
    from status
    group by round_id, region_code
)

select
    round_id,
    level,
    region_code,
    expected,
    actual,
    actual_on_time,
    actual / nullif(expected, 0) as reporting_rate,
    actual_on_time / nullif(expected, 0) as reporting_rate_on_time
from by_level
