{% set code_columns = ['settlement_type', 'ownership'] %}
-- College passports. Passport year Y (the file's partition) describes academic year Y-(Y+1) and is
-- the register for that year's two rounds. region_code is the spelling's region (NULL when the
-- spelling is unknown or ambiguous); region_candidates lists every region it may mean (empty when
-- unknown, several when ambiguous). The region a passport row counts in is decided by
-- stg_passports__register_rows (previous passport, date of the passport).
select
    cast(s._partition as integer) as passport_year,
    {{ academic_year_of('s._partition') }} as academic_year,
    s.* exclude (region, {{ code_columns | join(', ') }}),
    s.region as region_raw,
    ra.region_code,
    coalesce(ra.region_candidates, []::varchar[]) as region_candidates,
    {{ code_select(code_columns) }}
from {{ source('raw', 'passports') }} as s
{{ region_join('s') }}
{{ code_joins('college_passport', 'colleges', code_columns, source('raw', 'passports')) }}
