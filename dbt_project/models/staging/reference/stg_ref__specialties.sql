select
    {{ clean_code('specialty_code') }} as specialty_code,
    name_kk,
    name_ru,
    name_en,
    sector,
    provenance
from {{ source('raw', 'ref_specialties') }}
