-- Every indicator of indicators.yml, per period, at national, region and college level: the
-- higher levels are ratios of sums of the college figures. A row exists for every period and
-- every region with at least one expected college. Values are 0-1 shares.
with

college_values as (
    select * from {{ ref('int_indicator__college_values') }}
),

national as (
    {{ indicator_rollup('college_values', []) }}
),

region as (
    {{ indicator_rollup('college_values', ['region_code']) }}
    having region_code is not null
),

college as (
    -- One expected college: its own figures (NULL when it contributed nothing).
    select
        indicator_id,
        grain,
        period,
        region_code,
        college_bin,
        numerator,
        denominator,
        target,
        target_year,
        1 as expected_colleges,
        case when contributing then 1 else 0 end as contributing_colleges,
        coverage_threshold
    from college_values
),

levels as (
    select
        indicator_id, grain, period, 'national' as level,
        null::varchar as region_code, null::varchar as college_bin,
        numerator, denominator, target, target_year,
        expected_colleges, contributing_colleges, coverage_threshold
    from national
    union all
    select
        indicator_id, grain, period, 'region' as level,
        region_code, null::varchar as college_bin,
        numerator, denominator, target, target_year,
        expected_colleges, contributing_colleges, coverage_threshold
    from region
    union all
    select
        indicator_id, grain, period, 'college' as level,
        region_code, college_bin,
        numerator, denominator, target, target_year,
        expected_colleges, contributing_colleges, coverage_threshold
    from college
)

select
    indicator_id,
    period,
    level,
    region_code,
    college_bin,
    numerator,
    denominator,
    {{ indicator_outcome_columns() }},
    grain
from levels
