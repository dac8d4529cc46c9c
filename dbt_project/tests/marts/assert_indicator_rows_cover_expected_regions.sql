-- fct_indicator_values has a national row for every period with expected colleges and a region row
-- for every region with one (docs/ARCHITECTURE.md), and no region/national row without them.
with

expected as (
    select distinct indicator_id, period, region_code
    from {{ ref('int_indicator__college_values') }}
),

wanted as (
    select distinct indicator_id, period, 'national' as level, null::varchar as region_code
    from expected
    union all
    select distinct indicator_id, period, 'region' as level, region_code
    from expected
    where region_code is not null
),

have as (
    select indicator_id, period, level, region_code
    from {{ ref('fct_indicator_values') }}
    where level in ('national', 'region')
)

select 'missing' as problem, * from (select * from wanted except select * from have)
union all
select 'extra' as problem, * from (select * from have except select * from wanted)
