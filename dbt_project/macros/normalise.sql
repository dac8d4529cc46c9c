{#
  The SQL twin of pipelines.contracts.normalise_label (and of `alias_normalised` in
  sources/reference/region_aliases.csv): non-breaking and other Unicode spaces become one space,
  trimmed, lower-cased, trailing '*', ':', '.' and spaces stripped. RE2's \s is ASCII-only, so the
  class adds \pZ and the other characters Python's str.isspace() accepts.
  The test `assert_region_alias_normalisation_matches_python` keeps the two in step.
#}
{% macro normalise_label(expr) -%}
    nullif(
        regexp_replace(
            lower(trim(regexp_replace(cast({{ expr }} as varchar), '[\s\pZ\x0b\x1c-\x1f\x{85}]+', ' ', 'g'))),
            '[*:. ]+$',
            ''
        ),
        ''
    )
{%- endmacro %}


{#
  Canonical code of a `type: code` column with `allowed` values (the contract's spellings, loaded by
  the ingest into raw.ref_code_values). One left join per code column; use with code_select.
  `rows` is the relation `row_alias` reads (e.g. source('raw', 'nobd_students')): each distinct
  spelling in it is normalised once and the rows join on the spelling as written. Normalising
  every row instead (two regular expressions per value) was half of stg_nobd__students's time:
  3.6 s -> 1.8 s for 982,110 national rows, the table the same.
#}
{% macro code_joins(contract_source, sheet, columns, rows, row_alias='s') -%}
    {%- for column in columns %}
    left join (
        select distinct spellings.spelling, cv.code
        from (select distinct {{ column }} as spelling from {{ rows }}) as spellings
        inner join {{ ref('stg_ref__code_values') }} as cv
            on cv.source = '{{ contract_source }}'
            and cv.sheet = '{{ sheet }}'
            and cv.column_name = '{{ column }}'
            and cv.spelling_normalised = {{ normalise_label('spellings.spelling') }}
    ) as cv_{{ column }}
        on cv_{{ column }}.spelling = {{ row_alias }}.{{ column }}
    {%- endfor %}
{%- endmacro %}


{# `X_raw` (as written) and `X` (canonical code, NULL when the spelling is unknown) for each column. #}
{% macro code_select(columns, row_alias='s') -%}
    {%- for column in columns %}
    {{ row_alias }}.{{ column }} as {{ column }}_raw,
    cv_{{ column }}.code as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{# Region as written -> KATO code through the alias table; alias dates are informational only. #}
{% macro region_join(row_alias='s', column='region', join_alias='ra') -%}
    left join {{ ref('stg_ref__region_aliases') }} as {{ join_alias }}
        on {{ join_alias }}.alias_normalised = {{ normalise_label(row_alias ~ '.' ~ column) }}
{%- endmacro %}


{# Specialty and qualification codes: trimmed and upper-cased, nothing else. #}
{% macro clean_code(expr) -%}
    nullif(upper(trim(cast({{ expr }} as varchar))), '')
{%- endmacro %}
