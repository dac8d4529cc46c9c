{#
  The findings issued by earlier builds (marts.fct_dq_finding_history), for the check of the
  regions' answers before this build's findings exist. Read by name, not ref(): the history is built after
  the data-quality step whose input this is, so a ref would be a cycle. Before the first build
  there is no history, and no pack either, so nothing can have been answered.
#}
{% macro issued_findings() -%}
    {%- set history = adapter.get_relation(
        database=target.database, schema='marts', identifier='fct_dq_finding_history'
    ) -%}
    {%- if history is not none -%}
        select finding_id, region_code, severity from {{ history }}
    {%- else -%}
        select
            cast(null as varchar) as finding_id,
            cast(null as varchar) as region_code,
            cast(null as varchar) as severity
        where false
    {%- endif -%}
{%- endmacro %}


{# The region of an answer file: its name starts with the region's code (contract dq_response). #}
{% macro answer_file_region(path) -%}
    nullif(regexp_extract({{ path }}, '(\d{2})_[^/]*$', 1), '')
{%- endmacro %}


{#
  A finding's stable id: the same college, rule, round (or year), place and value give the same
  id in every build, whatever the file version, so an answer finds its finding again and a
  confirmed value is recognised. A finding about no college (an answer file's own) is tied to
  its file.
#}
{% macro finding_id(f) -%}
    substr(sha256(concat_ws('|',
        coalesce({{ f }}.college_bin, 'file:' || {{ f }}.file_path, ''),
        {{ f }}.source,
        {{ f }}.rule_id,
        coalesce({{ f }}.round_id, cast({{ f }}.year as varchar), ''),
        coalesce({{ f }}.sheet, ''),
        coalesce(cast({{ f }}.row_number as varchar), ''),
        coalesce({{ f }}.field, ''),
        coalesce({{ f }}.offending_value, '')
    )), 1, 16)
{%- endmacro %}
