{#
  The register, written once: one row per college and passport year from passport rows that may
  count (stg_passports__register_rows, rows of the most recently received accepted file holding
  the college). Used before the data-quality step on every such row (dq_register) and after it on
  the rows it did not quarantine (int_passports__register).

  A college listed more than once in its file (docs/ARCHITECTURE.md "Domain rules"): identical
  rows are one row; where the rows disagree, the attribute is unknown (NULL), except that a code
  column (region, settlement type, ownership) keeps its code when every spelling means the same
  code. No row wins by its position.
#}

{# The passport's facts about the college: its contract columns after the identity ones (name,
   region, settlement type, ownership), in contract order, each kept as written. The register, the
   passport's GX frame (dq_frame_passports) and marts.fct_college_year carry them all. #}
{% macro passport_fact_columns() -%}
    {{ return([
        'opened_on', 'closed_on', 'capacity', 'ramps', 'light_signals', 'call_button',
        'accessible_toilet', 'competence_centre', 'competence_sector', 'patron_enterprises',
        'memoranda', 'programmes_developed', 'targeted_order_students', 'material_assistance_kzt',
        'demo_exam_claimed', 'ws_assessment_claimed',
    ]) }}
{%- endmacro %}

{# Contract columns of the passport (sources/contracts/college_passport.yml, in its order) as
   (field, column compared as written). college_bin is the key and not listed. #}
{% macro passport_compared_columns() -%}
    {%- set identity = [
        ('name_kk', 'name_kk'), ('name_ru', 'name_ru'), ('region', 'region_raw'),
        ('settlement_type', 'settlement_type_raw'), ('ownership', 'ownership_raw'),
    ] -%}
    {%- set facts = [] -%}
    {%- for column in passport_fact_columns() -%}
        {%- do facts.append((column, column)) -%}
    {%- endfor -%}
    {{ return(identity + facts) }}
{%- endmacro %}

{# Canonical codes kept when every row of the college agrees on them. #}
{% macro passport_code_columns() -%}
    {{ return(['region_written_code', 'region_code', 'settlement_type', 'ownership']) }}
{%- endmacro %}

{# In an aggregate over one college's rows: the rows disagree on `column` (NULL counts as a value). #}
{% macro rows_disagree(column) -%}
    (count(distinct {{ column }}) > 1 or count({{ column }}) not in (0, count(*)))
{%- endmacro %}

{# In an aggregate: every row has the same non-NULL `column`. #}
{% macro rows_agree(column) -%}
    (count({{ column }}) = count(*) and count(distinct {{ column }}) = 1)
{%- endmacro %}

{% macro passport_register(rows) -%}
    select
        college_bin,
        passport_year,
        any_value(academic_year) as academic_year,
        any_value(passport_date) as passport_date,
        {%- for field, column in passport_compared_columns() %}
        case when not {{ rows_disagree(column) }} then any_value({{ column }}) end as {{ column }},
        {%- endfor %}
        {%- for column in passport_code_columns() %}
        case when {{ rows_agree(column) }} then any_value({{ column }}) end as {{ column }},
        {%- endfor %}
        count(*) as passport_rows,
        -- The first column (contract order) on which the college's rows disagree; NULL if none.
        case
            {%- for field, column in passport_compared_columns() %}
            when {{ rows_disagree(column) }} then '{{ field }}'
            {%- endfor %}
        end as conflict_field,
        -- Lineage: every row is in the same file; the register row points at the first.
        any_value(_file_id) as _file_id,
        any_value(_file_path) as _file_path,
        any_value(_file_sha256) as _file_sha256,
        any_value(_sheet) as _sheet,
        min(_row_number) as _row_number,
        any_value(_partition) as _partition,
        max(_loaded_at) as _loaded_at
    from {{ rows }}
    where counts_for_register
    group by college_bin, passport_year
{%- endmacro %}


{#
  The region of one college in one passport year from the candidate sets of its rows (one set per
  distinct spelling) and the region of its passport of the year before: a set of one region is
  that region; an ambiguous set takes `previous` when it is a candidate, else nothing; the year's
  region is the one its rows agree on. The Python twin is pipelines.reference.passport_region.
#}
{% macro resolve_candidates(candidates, previous) -%}
    case
        when len({{ candidates }}) = 1 then {{ candidates }}[1]
        when list_contains({{ candidates }}, {{ previous }}) then {{ previous }}
    end
{%- endmacro %}

{% macro region_of_candidate_sets(sets, previous) -%}
    {%- set resolved -%}
        list_transform({{ sets }}, lambda s: {{ resolve_candidates('s', previous) }})
    {%- endset -%}
    case
        when list_count({{ resolved }}) = len({{ sets }})
            and len(list_distinct({{ resolved }})) = 1
            then ({{ resolved }})[1]
    end
{%- endmacro %}

{# The region row `alias` (stg_ref__regions) exists on `day`: valid_from <= day < valid_to. #}
{% macro region_exists(alias, day) -%}
    (({{ alias }}.valid_from is null or {{ alias }}.valid_from <= {{ day }})
        and ({{ alias }}.valid_to is null or {{ alias }}.valid_to > {{ day }}))
{%- endmacro %}
