select
    {{ clean_code('qualification_code') }} as qualification_code,
    {{ clean_code('specialty_code') }} as specialty_code,
    name_kk,
    name_ru,
    name_en,
    level,
    provenance
from {{ source('raw', 'ref_qualifications') }}
