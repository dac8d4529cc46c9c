-- Regions with KATO codes. Codes stay text: '10' must not become 10.
select
    cast(region_code as varchar) as region_code,
    name_kk,
    name_ru,
    name_en,
    kind,
    cast(parent_code as varchar) as parent_code,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to
from {{ source('raw', 'ref_regions') }}
