-- The register: one passport row per college per passport year (docs/ARCHITECTURE.md "Domain
-- rules"), made by the macro passport_register from the rows of stg_passports__register_rows
-- that the data-quality step did not quarantine (a quarantined passport row never counts).
-- dq_prep.dq_register is the same register before that step.
with

quarantined as (
    select distinct file_id, row_number
    from {{ source('dq', 'findings') }}
    where source = 'college_passport' and sheet = 'colleges' and severity = 'quarantine'
),

passport_rows as (
    select r.*
    from {{ ref('stg_passports__register_rows') }} as r
    anti join quarantined as q
        on q.file_id = r._file_id
        and q.row_number = r._row_number
),

register as (
    {{ passport_register('passport_rows') }}
)

select
    *,
    coalesce(ramps and light_signals and call_button and accessible_toilet, false)
        as barrier_free_all
from register
