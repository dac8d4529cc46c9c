{# Values of `column_name` outside [min_value, max_value]; NULL passes (not_null says otherwise). #}
{% test between(model, column_name, min_value, max_value) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
