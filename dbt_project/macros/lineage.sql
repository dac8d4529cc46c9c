{# The lineage columns of a fact: the landing file and row a staging row (`row_alias`, with the
   ingest's underscore columns) was read from, so every published row points back to its file. #}
{% macro lineage_columns(row_alias=none) -%}
    {%- set prefix = row_alias ~ '.' if row_alias else '' -%}
    {{ prefix }}_file_id as file_id,
    {{ prefix }}_file_path as file_path,
    {{ prefix }}_row_number as row_number
{%- endmacro %}
