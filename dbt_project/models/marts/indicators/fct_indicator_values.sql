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

-- A level's missing columns (region_code, college_bin above it) are NULL: union by name.
levels as (
    select *, 'national' as level from national
    union all by name
    select *, 'region' as level from region
    union all by name
    select *, 'college' as level from college
),

outcome as (
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
),

-- Complementary suppression. With exactly one region suppressed and the republic published,
-- the region's numerator and denominator would follow from the national figures minus those
-- of the published regions, and its share with them. The region with the smallest
-- denominator among the others is then suppressed too (reason `complementary`), so only the
-- sum of the two can be derived. Every publication takes this decision from here.
lone as (
    select r.indicator_id, r.period
    from outcome as r
    join outcome as n
        on n.indicator_id = r.indicator_id and n.period = r.period and n.level = 'national'
    where r.level = 'region' and not n.suppressed
    group by all
    -- a suppressed region whose colleges sent nothing hides no figure of the total
    having count(*) filter (where r.suppressed and r.contributing_colleges > 0) = 1
),

complement as (
    select o.indicator_id, o.period, o.region_code
    from outcome as o
    join lone using (indicator_id, period)
    -- a region that contributed nothing hides nothing: the complement must carry figures
    where o.level = 'region' and not o.suppressed and o.contributing_colleges > 0
        and o.denominator > 0
    qualify row_number() over (
        partition by o.indicator_id, o.period order by o.denominator, o.region_code
    ) = 1
)

select
    o.indicator_id,
    o.period,
    o.level,
    o.region_code,
    o.college_bin,
    o.numerator,
    o.denominator,
    case when c.region_code is null then o.value end as value,
    o.target,
    o.target_year,
    o.expected_colleges,
    o.contributing_colleges,
    o.coverage,
    o.coverage_threshold,
    o.suppressed or c.region_code is not null as suppressed,
    coalesce(o.suppression_reason, case when c.region_code is not null then 'complementary' end)
        as suppression_reason,
    o.grain
from outcome as o
left join complement as c
    on o.level = 'region'
    and c.indicator_id = o.indicator_id
    and c.period = o.period
    and c.region_code = o.region_code
