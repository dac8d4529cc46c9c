-- Collection rounds. A round's `year` is the passport / CIS year of its academic year.
select
    cast(round_id as varchar) as round_id,
    cast(academic_year as varchar) as academic_year,
    cast(season as varchar) as season,
    cast(substr(cast(academic_year as varchar), 1, 4) as integer) as year,
    cast(substr(cast(round_id as varchar), 1, 4) as integer) as calendar_year,
    cast(reference_date as date) as reference_date,
    cast(window_opens as date) as window_opens,
    cast(due_date as date) as due_date,
    cast(grace_days as integer) as grace_days
from {{ source('raw', 'ref_calendar') }}
