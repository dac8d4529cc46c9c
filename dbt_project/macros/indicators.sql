{#
  The indicator registry (indicators.yml at the project root), as a dict.

  dbt 1.11 has no Jinja function that reads a file, so the registry is read through DuckDB's
  read_text() when models are compiled for execution (run/build/compile/docs generate). At parse
  time (`execute` false) an empty registry is returned: the models that use it ref their inputs
  statically, so the DAG does not depend on the registry's contents.
#}
{% macro indicator_registry() -%}
    {%- if not execute -%}
        {{ return({'defaults': {}, 'grains': {}, 'levels': [], 'disaggregations': {}, 'indicators': []}) }}
    {%- endif -%}

    {#- project_dir is absolute, or relative to the cwd (which is also DuckDB's cwd). -#}
    {%- set project_dir = invocation_args_dict.get('project_dir') or '.' -%}
    {%- set path = project_dir ~ '/' ~ var('indicators_file') -%}
    {%- set quoted = "'" ~ (path | replace("'", "''")) ~ "'" -%}
    {%- set found = run_query('select count(*) from glob(' ~ quoted ~ ')').columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error('indicator registry not found at ' ~ path) }}
    {%- endif -%}
    {%- set content = run_query('select content from read_text(' ~ quoted ~ ')').columns[0].values()[0] -%}
    {%- set registry = fromyaml(content) -%}
    {{ return(validate_indicator_registry(registry, path)) }}
{%- endmacro %}


{# Fail the build with a clear message instead of compiling nonsense SQL from a broken entry. #}
{% macro validate_indicator_registry(registry, path) -%}
    {%- set grains = registry.get('grains', {}) -%}
    {%- set default_threshold = registry.get('defaults', {}).get('coverage_threshold') -%}
    {%- set seen = [] -%}
    {%- for ind in registry.get('indicators', []) -%}
        {%- set where = path ~ ': indicator ' ~ ind.get('id', '#' ~ loop.index) -%}
        {%- if not ind.get('id') -%}
            {{ exceptions.raise_compiler_error(where ~ ' has no id') }}
        {%- endif -%}
        {%- if ind.id in seen -%}
            {{ exceptions.raise_compiler_error(where ~ ' is defined twice') }}
        {%- endif -%}
        {%- do seen.append(ind.id) -%}
        {%- if ind.get('grain') not in grains -%}
            {{ exceptions.raise_compiler_error(where ~ ': grain must be one of ' ~ (grains.keys() | list)) }}
        {%- endif -%}
        {%- for part in ['numerator', 'denominator', 'contributing'] -%}
            {%- if not ind.get(part, {}).get('sql') -%}
                {{ exceptions.raise_compiler_error(where ~ ': ' ~ part ~ '.sql is missing') }}
            {%- endif -%}
        {%- endfor -%}
        {%- set threshold = ind.get('coverage_threshold', default_threshold) -%}
        {%- if threshold is none or threshold < 0 or threshold > 1 -%}
            {{ exceptions.raise_compiler_error(where ~ ': coverage_threshold must be between 0 and 1') }}
        {%- endif -%}
        {%- for d in ind.get('disaggregations', []) -%}
            {%- if d != 'region' and d not in registry.get('disaggregations', {}) -%}
                {{ exceptions.raise_compiler_error(where ~ ': unknown disaggregation ' ~ d) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(registry) }}
{%- endmacro %}


{# The coverage threshold of one indicator: its own, else the registry default. #}
{% macro indicator_threshold(registry, ind) -%}
    {{- ind.get('coverage_threshold', registry.defaults.coverage_threshold) -}}
{%- endmacro %}


{# A SQL string literal (or NULL) for a registry value. #}
{% macro sql_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}


{#
  Sums a set of college rows of int_indicator__college_values up to one row per indicator,
  period and `group_columns`: ratio of sums, coverage, suppression. Used by indicator_values and
  indicator_values_by_group so that both apply exactly the same rules.
#}
{% macro indicator_rollup(relation, group_columns) -%}
    select
        indicator_id,
        grain,
        period,
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        coalesce(sum(numerator), 0) as numerator,
        coalesce(sum(denominator), 0) as denominator,
        any_value(target) as target,
        any_value(target_year) as target_year,
        count(*) as expected_colleges,
        count(*) filter (where contributing) as contributing_colleges,
        any_value(coverage_threshold) as coverage_threshold
    from {{ relation }}
    group by all
{%- endmacro %}


{# value / coverage / suppression columns, from the rolled-up counts. #}
{% macro indicator_outcome_columns() -%}
        case
            when contributing_colleges < coverage_threshold * expected_colleges then null
            when denominator = 0 then null
            else numerator / denominator
        end as value,
        target,
        target_year,
        expected_colleges,
        contributing_colleges,
        contributing_colleges / expected_colleges as coverage,
        coverage_threshold,
        contributing_colleges < coverage_threshold * expected_colleges as suppressed,
        case
            when contributing_colleges < coverage_threshold * expected_colleges
                then 'coverage_below_threshold'
        end as suppression_reason
{%- endmacro %}
