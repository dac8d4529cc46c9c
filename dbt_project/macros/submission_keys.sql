{#
  college_bin and round_id of a submission for its row sheets: the owner the ingest decided once
  (docs/ARCHITECTURE.md "Acceptance policy"): the college of the file name and the round of its
  folder, from the registry. What the header says is checked against them (identity.* rules),
  never used in their place.
#}
{% macro submission_keys_cte() -%}
    submission_keys as (
        select
            file_id as _file_id,
            college_bin,
            partition_key as round_id
        from {{ ref('stg_landing_files') }}
        where source = 'nobd_submission'
    )
{%- endmacro %}


{#
  A NOBD row sheet with nothing of its own to add (library, staff): every raw row with its
  submission's college_bin and round_id and its code columns decoded (code_select / code_joins).
  stg_nobd__students builds the same frame by hand, with its specialty and qualification codes.
#}
{% macro nobd_sheet_rows(sheet, code_columns) -%}
with
{{ submission_keys_cte() }}

select
    k.college_bin,
    k.round_id,
    s.* exclude ({{ code_columns | join(', ') }}),
    {{ code_select(code_columns) }}
from {{ source('raw', 'nobd_' ~ sheet) }} as s
left join submission_keys as k
    on k._file_id = s._file_id
{{ code_joins('nobd_submission', sheet, code_columns, source('raw', 'nobd_' ~ sheet)) }}
{%- endmacro %}
