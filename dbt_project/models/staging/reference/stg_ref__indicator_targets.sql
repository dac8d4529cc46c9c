-- National targets by calendar year; target_share is the same figure as a 0-1 share (as values are).
select
    cast(indicator_id as varchar) as indicator_id,
    cast(year as integer) as year,
    cast(target_pct as double) as target_pct,
    cast(target_pct as double) / 100.0 as target_share,
    source_note
from {{ source('raw', 'ref_indicator_targets') }}
