{#
  Rows of `model` that share the same values of `columns` (NULLs compare equal, as in GROUP BY):
  the grain of a table stated as a test. dbt core has no such test without a package.
#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as rows_with_these_keys
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
