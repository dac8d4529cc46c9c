-- One row per NOBD submission file: the header as written plus the region's KATO code.
select
    s.* exclude (region),
    s.region as region_raw,
    ra.region_code
from {{ source('raw', 'nobd_header') }} as s
{{ region_join('s') }}
