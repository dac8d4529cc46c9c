{{ config(materialized='view') }}
-- A view, not a table: the data-quality step changes `status` (loaded <-> held_back) AFTER the
-- staging models are built, and everything downstream must see the status as it is now.
select
    file_id,
    path,
    source,
    partition_key,
    sha256,
    size_bytes,
    status,
    reason,
    college_bin,
    signed_at,
    version,
    first_seen_at,
    status_changed_at,
    -- The current version of a submission (validated by the data-quality step).
    status in ('loaded', 'held_back') as is_current,
    -- Accepted current submission = status `loaded` (docs/ARCHITECTURE.md).
    status = 'loaded' as is_accepted
from {{ source('raw', 'landing_files') }}
