-- depends_on: {{ source('dq', 'findings') }}
-- The statuses read here are final only after the data-quality step (Dagster asset
-- `dq_findings`) has decided which NOBD version is current. This table must therefore be
-- built after that step, and the line above makes it so: without it Dagster may build this table
-- (which reads only staging) before the step, and a held-back submission would count.
--
-- File versions whose rows the marts may use: status `loaded` (accepted; docs/ARCHITECTURE.md).
-- NOBD: the data-quality step keeps one `loaded` version per college and round, the latest
-- acceptable one (docs/ARCHITECTURE.md "Acceptance policy"), so `loaded` = accepted current.
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
