{% set code_columns = ['event_type', 'level', 'stream', 'medal'] %}
-- CIS export rows. Export year Y holds the events of academic year Y-(Y+1).
select
    cast(s._partition as integer) as year,
    {{ academic_year_of('s._partition') }} as academic_year,
    s.* exclude (region, {{ code_columns | join(', ') }}),
    s.region as region_raw,
    ra.region_code,
    {{ code_select(code_columns) }}
from {{ source('raw', 'worldskills_results') }} as s
{{ region_join('s') }}
{{ code_joins('worldskills_export', 'results', code_columns, source('raw', 'worldskills_results')) }}
