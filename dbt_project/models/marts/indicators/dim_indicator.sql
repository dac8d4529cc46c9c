{#- The indicator registry (indicators.yml) as a table, for SQL users and the docs. -#}
{%- set registry = indicator_registry() -%}
{%- set lit = sql_literal -%}
{%- for ind in registry.indicators %}
{{ 'union all' if not loop.first }}
select
    {{ lit(ind.id) }} as indicator_id,
    {{ lit(ind.names.kk) }} as name_kk,
    {{ lit(ind.names.ru) }} as name_ru,
    {{ lit(ind.names.en) }} as name_en,
    {{ lit(ind.description) }} as description,
    {{ lit(ind.grain) }} as grain,
    {{ lit(registry.grains[ind.grain].period_column) }} as period_column,
    {{ lit(ind.numerator.description) }} as numerator_description,
    {{ lit(ind.numerator.column) }} as numerator_measure,
    {{ lit(ind.denominator.description) }} as denominator_description,
    {{ lit(ind.denominator.column) }} as denominator_measure,
    {{ lit(ind.contributing.description) }} as contributing_description,
    cast({{ ind.coverage_threshold }} as double) as coverage_threshold,
    {{ lit(ind.disaggregations | join(', ')) }} as disaggregations,
    {{ lit(ind.source.kk) }} as source_kk,
    {{ lit(ind.source.ru) }} as source_ru,
    {{ lit(ind.source.en) }} as source_en,
    {{ lit((ind.legal_basis or {}).get('kk')) }} as legal_basis_kk,
    {{ lit((ind.legal_basis or {}).get('ru')) }} as legal_basis_ru,
    {{ lit((ind.legal_basis or {}).get('en')) }} as legal_basis_en,
    {{ lit(ind.target_id) }} as targets_indicator_id,
    {{ lit((ind.international or {}).get('framework')) }} as international_framework,
    {{ lit((ind.international or {}).get('indicator')) }} as international_indicator,
    {{ lit((ind.international or {}).get('name')) }} as international_name
{%- else %}
-- The registry is read at execution time; at parse time it is empty.
select
    null::varchar as indicator_id, null::varchar as name_kk, null::varchar as name_ru,
    null::varchar as name_en, null::varchar as description, null::varchar as grain,
    null::varchar as period_column, null::varchar as numerator_description,
    null::varchar as numerator_measure, null::varchar as denominator_description,
    null::varchar as denominator_measure, null::varchar as contributing_description,
    null::double as coverage_threshold, null::varchar as disaggregations,
    null::varchar as source_kk, null::varchar as source_ru, null::varchar as source_en,
    null::varchar as legal_basis_kk, null::varchar as legal_basis_ru,
    null::varchar as legal_basis_en, null::varchar as targets_indicator_id,
    null::varchar as international_framework, null::varchar as international_indicator,
    null::varchar as international_name
where false
{%- endfor %}
