{% set code_columns = ['event_type', 'level', 'stream', 'medal'] %}
-- GX frame `worldskills_export.results`: CIS result rows of accepted export files, named as in
-- the contract, with whether the college is in that year's register.
with

accepted_files as (
    select file_id from {{ ref('stg_landing_files') }} where is_accepted
),

register as (
    select * from {{ ref('dq_register') }}
),

-- Without a passport file for the year there is no register to check against.
register_years as (
    select distinct passport_year from register
)

select
    w._file_id,
    w._row_number,
    w.college_bin as _college_bin,
    w.event_id,
    {%- for column in code_columns %}
    coalesce(w.{{ column }}, nullif(trim(w.{{ column }}_raw), '')) as {{ column }},
    {%- endfor %}
    w.event_name,
    w.event_date,
    w.skill,
    w.competitor_iin_hash,
    -- NULL = not applicable (no IIN: domain.required_value reports it).
    case when w.competitor_iin_hash is not null then w.competitor_iin_valid end
        as competitor_iin_valid,
    w.college_bin,
    w.region_raw as region,
    case when w.region_raw is not null then w.region_code is not null end as region_known,
    w.mark,
    w.advanced,
    w.passed,
    case when y.passport_year is not null then r.college_bin is not null end as college_in_register
from {{ ref('stg_worldskills__results') }} as w
inner join accepted_files as f
    on f.file_id = w._file_id
left join register_years as y
    on y.passport_year = w.year
left join register as r
    on r.college_bin = w.college_bin
    and r.passport_year = w.year
