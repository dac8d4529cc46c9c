-- Collection rounds with their calendar: reference date, window, due date and grace days.
select
    round_id,
    academic_year,
    season,
    year as passport_year,
    calendar_year,
    reference_date,
    window_opens,
    due_date,
    grace_days,
    -- Last on-time moment before any extension (extensions: marts.dim_deadline_extension).
    cast(due_date + grace_days as timestamp) + interval '23 hours 59 minutes 59 seconds'
        as deadline_at
from {{ ref('stg_ref__calendar') }}
