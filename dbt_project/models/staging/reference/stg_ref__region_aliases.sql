-- Every known spelling of a region. Matching uses alias_normalised only; the alias dates are
-- informational (files keep old names long after a renaming, sources/reference/README.md).
select
    cast(alias as varchar) as alias,
    cast(alias_normalised as varchar) as alias_normalised,
    cast(region_code as varchar) as region_code,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    note
from {{ source('raw', 'ref_region_aliases') }}
