{#
  Columns and join shared by the NOBD facts: the accepted submission a row belongs to and the
  college's register entry for that round. A college that submitted without being in the register
  keeps its rows (college_expected = false) and takes its region from its header.
#}
{% macro accepted_submission_columns() -%}
    a.round_id,
    cal.academic_year,
    a.college_bin,
    coalesce(e.region_code, a.header_region_code) as region_code,
    case when e.college_bin is not null then 'passport' else 'submission_header' end
        as region_source,
    e.settlement_type,
    e.ownership,
    e.college_bin is not null as college_expected
{%- endmacro %}

{% macro accepted_submission_joins(row_alias) -%}
    inner join {{ ref('int_nobd__accepted_submissions') }} as a
        on a.file_id = {{ row_alias }}._file_id
    left join {{ ref('stg_ref__calendar') }} as cal
        on cal.round_id = a.round_id
    left join {{ ref('int_expected__college_rounds') }} as e
        on e.round_id = a.round_id
        and e.college_bin = a.college_bin
{%- endmacro %}
