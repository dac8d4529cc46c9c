{% set code_columns = ['settlement_type', 'ownership'] %}
-- College passports. Passport year Y (the file's partition) describes academic year Y-(Y+1) and is
-- the register for that year's two rounds.
select
    cast(s._partition as integer) as passport_year,
    s._partition || '-' || cast(cast(s._partition as integer) + 1 as varchar) as academic_year,
    s.* exclude (region, {{ code_columns | join(', ') }}),
    s.region as region_raw,
    ra.region_code,
    {{ code_select(code_columns) }}
from {{ source('raw', 'passports') }} as s
{{ region_join('s') }}
{{ code_joins('college_passport', 'colleges', code_columns) }}
