-- Deadline extensions granted to a region or a college for one round (scopes add up).
select
    cast(round_id as varchar) as round_id,
    cast(scope as varchar) as scope,
    cast(region_code as varchar) as region_code,
    cast(college_bin as varchar) as college_bin,
    cast(extra_days as integer) as extra_days,
    cast(granted_on as date) as granted_on,
    reason_kk,
    reason_ru
from {{ source('raw', 'ref_extensions') }}
