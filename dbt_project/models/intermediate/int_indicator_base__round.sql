-- Base of the round-grained indicators: one row per college expected in a round, with the
-- additive measures of its accepted current submission (NULL when it has none), summed over
-- its rows that are not quarantined. The measures are the columns indicators.yml's numerators
-- and denominators name (its `counts` say what each holds).
with

expected as (
    select * from {{ ref('int_expected__college_rounds') }}
),

students as (
    select
        _file_id as file_id,
        count(*) as students_total,
        count(*) as student_rows,
        count(*) filter (where dual_training) as students_dual
    from {{ ref('stg_nobd__students') }} as s
    where {{ not_quarantined('s') }}
    group by _file_id
),

library as (
    select
        _file_id as file_id,
        count(*) as library_rows,
        sum(copies_total) as copies_total,
        sum(copies_kk) as copies_kk
    from {{ ref('stg_nobd__library') }} as l
    where {{ not_quarantined('l') }}
    group by _file_id
)

select
    'round' as grain,
    e.round_id as period,
    e.round_id,
    e.academic_year,
    e.college_bin,
    e.region_code,
    e.settlement_type,
    e.ownership,
    e.has_accepted_submission,
    e.accepted_file_id,
    -- An accepted submission with an empty sheet contributes zeros, not "no data".
    case when e.has_accepted_submission then coalesce(s.students_total, 0) end as students_total,
    case when e.has_accepted_submission then coalesce(s.students_dual, 0) end as students_dual,
    case when e.has_accepted_submission then coalesce(l.copies_total, 0) end as copies_total,
    case when e.has_accepted_submission then coalesce(l.copies_kk, 0) end as copies_kk,
    -- Accepted (not quarantined) rows of each sheet: a college contributes to an indicator when
    -- they include that indicator's sheet (docs/ARCHITECTURE.md "Acceptance policy").
    case when e.has_accepted_submission then coalesce(s.student_rows, 0) end as student_rows,
    case when e.has_accepted_submission then coalesce(l.library_rows, 0) end as library_rows,
    coalesce(s.student_rows > 0, false) as has_student_rows,
    coalesce(l.library_rows > 0, false) as has_library_rows
from expected as e
left join students as s
    on s.file_id = e.accepted_file_id
left join library as l
    on l.file_id = e.accepted_file_id
