{#-
  Every indicator of indicators.yml for every college expected in each of its periods: the
  numerator and denominator measure columns of the college's base row, whether it contributed,
  and the indicator's threshold and target. The marts roll these rows up.
-#}
{%- set registry = indicator_registry() -%}
{%- set bases = {
    'round': ref('int_indicator_base__round'),
    'academic_year': ref('int_indicator_base__academic_year'),
} -%}

with

targets as (
    select indicator_id, year, target_share
    from {{ ref('stg_ref__indicator_targets') }}
),

rounds as (
    select round_id, calendar_year
    from {{ ref('stg_ref__calendar') }}
),

college_values as (
{%- for ind in registry.indicators %}
    {{ 'union all' if not loop.first }}
    -- {{ ind.id }}: {{ ind.numerator.column }} / {{ ind.denominator.column }}
    select
        '{{ ind.id }}' as indicator_id,
        '{{ ind.grain }}' as grain,
        period,
        college_bin,
        region_code,
        settlement_type,
        ownership,
        -- one base row per college and period: the sums are that row's measures
        sum(cast({{ ind.numerator.column }} as bigint)) as numerator,
        sum(cast({{ ind.denominator.column }} as bigint)) as denominator,
        coalesce(bool_or({{ ind.contributing.column }}), false) as contributing,
        cast({{ ind.coverage_threshold }} as double) as coverage_threshold,
        {{ sql_literal(ind.target_id) }} as target_indicator_id
    from {{ bases[ind.grain] }}
    group by period, college_bin, region_code, settlement_type, ownership
{%- else %}
    -- The registry is read at execution time; at parse time it is empty.
    select
        null::varchar as indicator_id, null::varchar as grain, null::varchar as period,
        null::varchar as college_bin, null::varchar as region_code,
        null::varchar as settlement_type, null::varchar as ownership,
        null::bigint as numerator, null::bigint as denominator, null::boolean as contributing,
        null::double as coverage_threshold, null::varchar as target_indicator_id
    where false
{%- endfor %}
)

select
    v.indicator_id,
    v.grain,
    v.period,
    v.college_bin,
    v.region_code,
    v.settlement_type,
    v.ownership,
    -- A college without usable data has no figures (its zeros would look like real zeros).
    case when v.contributing then v.numerator end as numerator,
    case when v.contributing then v.denominator end as denominator,
    v.contributing,
    v.coverage_threshold,
    -- A round takes the target of its calendar year, an academic year that of its first year.
    case
        when v.grain = 'round' then r.calendar_year
        else cast(substr(v.period, 1, 4) as integer)
    end as target_year,
    t.target_share as target
from college_values as v
left join rounds as r
    on v.grain = 'round'
    and r.round_id = v.period
left join targets as t
    on t.indicator_id = v.target_indicator_id
    and t.year = case
        when v.grain = 'round' then r.calendar_year
        else cast(substr(v.period, 1, 4) as integer)
    end
