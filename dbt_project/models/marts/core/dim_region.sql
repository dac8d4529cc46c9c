-- The 17 oblasts and 3 cities with KATO codes and their validity ([valid_from, valid_to)).
select
    region_code,
    name_kk,
    name_ru,
    name_en,
    kind,
    parent_code,
    valid_from,
    valid_to,
    valid_to is null as is_current
from {{ ref('stg_ref__regions') }}
