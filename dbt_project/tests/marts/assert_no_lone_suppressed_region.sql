-- Where the republic is published, never exactly one region with figures is suppressed: its
-- numerator and denominator would be the national ones minus those of the published regions
-- (complementary suppression in fct_indicator_values).
with region as (
    select indicator_id, period,
           count(*) filter (where suppressed and contributing_colleges > 0) as hidden
    from {{ ref('fct_indicator_values') }}
    where level = 'region'
    group by all
)
select r.*
from region as r
join {{ ref('fct_indicator_values') }} as n
    on n.indicator_id = r.indicator_id and n.period = r.period and n.level = 'national'
where not n.suppressed and r.hidden = 1
