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
