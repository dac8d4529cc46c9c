{#
  Use the folder's schema name as-is (`staging`, `intermediate`, `marts`) instead of dbt's default
  `<target schema>_<custom schema>`: the schema names are a public contract
  (docs/ARCHITECTURE.md) that the data-quality step, reports and the yearbook query by name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
