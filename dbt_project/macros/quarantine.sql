{#
  The one filter that leaves quarantined rows out of facts and indicators (docs/ARCHITECTURE.md
  "Acceptance policy"): `row_alias` is a staging row with lineage columns (_file_id, _sheet,
  _row_number).
#}
{% macro not_quarantined(row_alias) -%}
    not exists (
        select 1
        from {{ ref('int_dq__quarantined_rows') }} as q
        where q.file_id = {{ row_alias }}._file_id
            and q.sheet = {{ row_alias }}._sheet
            and q.row_number = {{ row_alias }}._row_number
    )
{%- endmacro %}
