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
from {{ ref('int_landing__files') }}
where is_accepted
qualify
    source = 'nobd_submission'
    or row_number() over (
        partition by source, path
        order by first_seen_at desc, file_id desc
    ) = 1
