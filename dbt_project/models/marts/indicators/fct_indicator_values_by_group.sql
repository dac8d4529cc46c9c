{#-
  The indicators of indicators.yml broken down by each of their disaggregations (settlement
  type, ownership; region is a level of fct_indicator_values), at national and region level. Same
  rules as fct_indicator_values: ratio of sums, coverage, suppression.
-#}
{%- set registry = indicator_registry() -%}
{#- disaggregation -> the indicators that declare it -#}
{%- set by_disaggregation = {} -%}
{%- for ind in registry.indicators -%}
    {%- for d in ind.disaggregations if d != 'region' -%}
        {%- do by_disaggregation.setdefault(d, []).append(ind.id) -%}
    {%- endfor -%}
{%- endfor %}

with

college_values as (
    select * from {{ ref('int_indicator__college_values') }}
),

grouped as (
{%- for disaggregation, indicator_ids in by_disaggregation.items() %}
    {%- set column = registry.disaggregations[disaggregation].column %}
    {%- set rows = "(select * from college_values where indicator_id in ('" ~ (indicator_ids | join("', '")) ~ "'))" %}
    {{ 'union all' if not loop.first }}
    select 'national' as level, null::varchar as region_code, '{{ disaggregation }}' as disaggregation, *
    from (
        {{ indicator_rollup(rows, [column ~ ' as group_value']) | indent(8) }}
    )
    union all by name
    select 'region' as level, '{{ disaggregation }}' as disaggregation, *
    from (
        {{ indicator_rollup(rows, ['region_code', column ~ ' as group_value']) | indent(8) }}
    )
    where region_code is not null
{%- else %}
    -- The registry is read at execution time; at parse time it is empty.
    select
        null::varchar as level, null::varchar as region_code, null::varchar as disaggregation,
        null::varchar as indicator_id, null::varchar as grain, null::varchar as period,
        null::varchar as group_value, null::bigint as numerator, null::bigint as denominator,
        null::double as target, null::integer as target_year, null::bigint as expected_colleges,
        null::bigint as contributing_colleges, null::double as coverage_threshold
    where false
{%- endfor %}
)

select
    indicator_id,
    period,
    level,
    region_code,
    disaggregation,
    -- A college whose passport value is unknown is counted in its own group, not dropped.
    coalesce(group_value, 'unknown') as group_value,
    numerator,
    denominator,
    {{ indicator_outcome_columns() }},
    grain
from grouped
