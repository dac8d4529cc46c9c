-- GX frame `nobd_submission.submissions`: one row per NOBD submission version with the measures of
-- the submission-level rules (cross.contingent_exceeds_capacity, temporal.enrolment_change, and
-- cross.contingent_implausible, which holds the submission back).
-- Read by the runner after it has set held_back/loaded, because "the college's accepted submission
-- of the immediately preceding round" depends on that status (docs/ARCHITECTURE.md).
with

students as (
    select _file_id, count(*) as students
    from {{ ref('stg_nobd__students') }}
    group by _file_id
),

current_submissions as (
    select * from {{ ref('dq_submission_versions') }}
),

-- The college's accepted version of a round. Unique once the runner has decided the statuses
-- (it reads this frame only then); the latest signed one before that, so the view stays one row
-- per version whenever it is read.
accepted as (
    select round_id, college_bin, arg_max(file_id, signed_at) as file_id
    from current_submissions
    where is_accepted
    group by round_id, college_bin
)

select
    c.file_id as _file_id,
    -- Submission-level: the finding names the file and sheet, no row.
    cast(null as bigint) as _row_number,
    c.college_bin as _college_bin,
    coalesce(s.students, 0) as students,
    reg.capacity,
    -- NULL when the passport of the round's academic year has no capacity: nothing to compare.
    coalesce(s.students, 0) / nullif(reg.capacity, 0) as students_per_capacity,
    prev_students.students as previous_students,
    -- NULL when the previous round has no accepted submission of this college (no comparison).
    abs(coalesce(s.students, 0) - prev_students.students) / nullif(prev_students.students, 0)
        as enrolment_change,
    -- How many times the capacity or the previous round's count the students are (the larger).
    greatest(
        coalesce(s.students, 0) / nullif(reg.capacity, 0),
        coalesce(s.students, 0) / nullif(prev_students.students, 0)
    ) as students_multiple
from current_submissions as c
left join students as s
    on s._file_id = c.file_id
left join {{ ref('dq_register') }} as reg
    on reg.college_bin = c.college_bin
    and reg.passport_year = c.year
left join accepted as prev
    on prev.round_id = c.previous_round_id
    and prev.college_bin = c.college_bin
left join students as prev_students
    on prev_students._file_id = prev.file_id
