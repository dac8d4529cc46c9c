-- depends_on: {{ source('dq', 'findings') }}
-- The statuses read here are final only after the data-quality step (Dagster asset
-- `dq_findings`) has moved blocking submissions to `held_back`. This table must therefore be
-- built after that step, and the line above makes it so: without it Dagster may build this table
-- (which reads only staging) before the step, and a held-back submission would count.
--
-- File versions whose rows the marts may use: status `loaded` (accepted; docs/ARCHITECTURE.md).
-- NOBD: the ingest keeps one current version per college and round, and the data-quality step
-- moves a current one with a blocking finding to `held_back`, so `loaded` = accepted current.
-- Passports and CIS exports: should a file be delivered again under the same name, only the
-- latest loaded version counts (the ingest may keep the older version's rows).
select
    file_id,
    source,
    path,
    partition_key,
    college_bin,
    signed_at,
    version,
    first_seen_at
from {{ ref('stg_landing_files') }}
where is_accepted
qualify
    source = 'nobd_submission'
    or row_number() over (
        partition by source, path
        order by first_seen_at desc, file_id desc
    ) = 1
