-- Deadline extensions granted to a region or a college for one round; scopes add up.
select
    round_id,
    scope,
    region_code,
    college_bin,
    extra_days,
    granted_on,
    reason_kk,
    reason_ru
from {{ ref('stg_ref__extensions') }}
