-- Every known spelling of a region. Matching uses alias_normalised only; the alias dates are
-- informational (files keep old names long after a renaming, sources/reference/README.md).
-- An ambiguous spelling («Алматы»: city 75 or oblast 19) has no region_code, only candidates:
-- region_join then gives NULL, and only the passports resolve it (stg_passports__register_rows).
select
    cast(alias as varchar) as alias,
    cast(alias_normalised as varchar) as alias_normalised,
    cast(region_code as varchar) as region_code,
    list_sort(
        case
            when region_code is not null then [cast(region_code as varchar)]
            else string_split(trim(cast(candidate_codes as varchar)), ' ')
        end
    ) as region_candidates,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    note
from {{ source('raw', 'ref_region_aliases') }}
