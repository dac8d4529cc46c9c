-- Ratio of sums: the national numerator, denominator and college counts are the sums over the
-- colleges, and the regions' sums never exceed them (colleges of unknown region are national only).
with

colleges as (
    select
        indicator_id,
        period,
        coalesce(sum(numerator), 0) as numerator,
        coalesce(sum(denominator), 0) as denominator,
        count(*) as expected_colleges,
        count(*) filter (where contributing_colleges = 1) as contributing_colleges
    from {{ ref('fct_indicator_values') }}
    where level = 'college'
    group by all
),

regions as (
    select indicator_id, period, sum(numerator) as numerator, sum(denominator) as denominator
    from {{ ref('fct_indicator_values') }}
    where level = 'region'
    group by all
),

national as (
    select * from {{ ref('fct_indicator_values') }} where level = 'national'
)

select n.indicator_id, n.period, 'national differs from the sum of its colleges' as problem
from national as n
left join colleges as c using (indicator_id, period)
where n.numerator is distinct from c.numerator
    or n.denominator is distinct from c.denominator
    or n.expected_colleges is distinct from c.expected_colleges
    or n.contributing_colleges is distinct from c.contributing_colleges
union all
select n.indicator_id, n.period, 'regions add up to more than the nation'
from national as n
inner join regions as r using (indicator_id, period)
where r.numerator > n.numerator or r.denominator > n.denominator
