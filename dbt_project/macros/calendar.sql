{#
  The academic year a year of the data names (a passport year, a CIS export year): year Y is the
  academic year 'Y-(Y+1)'. The Python twin is pipelines.reference.rounds_of_years.
#}
{% macro academic_year_of(year_expr) -%}
    cast({{ year_expr }} as varchar) || '-' || cast(cast({{ year_expr }} as integer) + 1 as varchar)
{%- endmacro %}
