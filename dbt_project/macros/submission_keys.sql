{#
  college_bin and round_id of a submission, taken from its header sheet (joined on _file_id), for
  the sheets that do not carry them. A header sheet holds one row (max_rows: 1); should a broken
  file carry more, the first one wins so that rows are never duplicated.
#}
{% macro submission_keys_cte() -%}
    submission_keys as (
        select
            _file_id,
            college_bin,
            round_id
        from {{ ref('stg_nobd__header') }}
        qualify row_number() over (partition by _file_id order by _row_number) = 1
    )
{%- endmacro %}
