-- Qualifications of the TVET classifier, each under its specialty.
select
    qualification_code,
    specialty_code,
    name_kk,
    name_ru,
    name_en,
    level,
    provenance
from {{ ref('stg_ref__qualifications') }}
