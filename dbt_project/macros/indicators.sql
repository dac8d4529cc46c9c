{#
  The indicator registry, as validated by pipelines/indicators.py: its JSON copy
  target/indicator_registry.json (defaults applied), which the pipeline writes before every dbt
  step and `python -m pipelines.indicators` writes for dbt run by hand. A copy made from another
  version of indicators.yml is refused, so dbt never builds from a registry that was not checked.

  dbt 1.11 has no Jinja function that reads a file, so both files are read through DuckDB's
  read_text() when models are compiled for execution (run/build/compile/docs generate). At parse
  time (`execute` false) an empty registry is returned: the models that use it ref their inputs
  statically, so the DAG does not depend on the registry's contents.
#}
{% macro indicator_registry() -%}
    {%- if not execute -%}
        {{ return({'grains': {}, 'disaggregations': {}, 'indicators': []}) }}
    {%- endif -%}

    {#- project_dir is absolute, or relative to the cwd (which is also DuckDB's cwd). -#}
    {%- set project_dir = invocation_args_dict.get('project_dir') or '.' -%}
    {%- set source = project_dir ~ '/' ~ var('indicators_file') -%}
    {%- set copy = project_dir ~ '/target/indicator_registry.json' -%}
    {%- set run_python = 'run `python -m pipelines.indicators` (edustat run does it)' -%}
    {%- set found = run_query('select count(*) from glob(' ~ sql_literal(copy) ~ ')').columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(copy ~ ' is missing: ' ~ run_python) }}
    {%- endif -%}
    {%- set content = run_query('select content from read_text(' ~ sql_literal(copy) ~ ')').columns[0].values()[0] -%}
    {%- set registry = fromjson(content) -%}
    {%- set sha = run_query('select sha256(content) from read_text(' ~ sql_literal(source) ~ ')').columns[0].values()[0] -%}
    {%- if sha != registry.source_sha256 -%}
        {{ exceptions.raise_compiler_error(source ~ ' changed after ' ~ copy ~ ' was made: ' ~ run_python) }}
    {%- endif -%}
    {{ return(registry) }}
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
  period and `group_columns`: ratio of sums, coverage, suppression. Used by fct_indicator_values and
  fct_indicator_values_by_group so that both apply exactly the same rules.
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
