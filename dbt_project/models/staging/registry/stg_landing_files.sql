{{ config(materialized='view') }}
-- A view, not a table: the data-quality step changes `status` (loaded <-> held_back) AFTER the
-- staging models are built, and everything downstream must see the status as it is now. Models
-- after the step read it through intermediate.int_landing__files, which Dagster orders after it.
-- Every registry column as the ingest writes it (docs/ARCHITECTURE.md, "raw.landing_files").
select
    *,
    -- The current version of a submission (the one the data-quality step validates).
    status in ('loaded', 'held_back') as is_current,
    -- Accepted current submission = status `loaded` (docs/ARCHITECTURE.md).
    status = 'loaded' as is_accepted
from {{ source('raw', 'landing_files') }}
