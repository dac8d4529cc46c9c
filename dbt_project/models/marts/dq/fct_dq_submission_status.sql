-- Timeliness per expected college per round (docs/ARCHITECTURE.md "Timeliness", "Acceptance
-- policy"), plus one row per superseded submission. `missing` = no accepted current submission,
-- which includes a submission held back with no earlier accepted version (is_held_back: file_id
-- set, hold findings > 0) and a college whose only files were rejected (is_rejected: file_id NULL;
-- the structure finding is in marts.fct_dq_findings). on_time/late are judged on the first
-- acceptable version. status_detail is the one word the packs show per college.
with

expected as (
    select round_id, college_bin, region_code from {{ ref('fct_expected_colleges') }}
),

rounds as (
    select round_id, passport_year, deadline_at from {{ ref('dim_round') }}
),

-- Each expected college's deadline: the round's, plus the days extensions add (the college's
-- region's and the college's own).
deadlines as (
    select
        e.round_id,
        e.college_bin,
        r.deadline_at + to_days(cast(coalesce(sum(x.extra_days), 0) as integer)) as deadline_at
    from expected as e
    inner join rounds as r
        on r.round_id = e.round_id
    left join {{ ref('dim_deadline_extension') }} as x
        on x.round_id = e.round_id
        and (
            (x.scope = 'region' and x.region_code = e.region_code)
            or (x.scope = 'college' and x.college_bin = e.college_bin)
        )
    group by e.round_id, e.college_bin, r.deadline_at
),

-- Every NOBD version present under landing/, by its owner (college of the file name) and round.
versions as (
    select
        partition_key as round_id,
        college_bin,
        file_id,
        path as file_path,
        signed_at,
        status,
        is_acceptable
    from {{ ref('int_landing__files') }}
    where source = 'nobd_submission'
        and status <> 'rejected'
        and is_present
),

-- Colleges that sent a file this round that could not be read (structure.* rule).
rejected as (
    select distinct partition_key as round_id, college_bin
    from {{ ref('int_landing__files') }}
    where source = 'nobd_submission'
        and status = 'rejected'
),

-- Per college and round (docs/ARCHITECTURE.md "Acceptance policy"): the current accepted
-- version, the latest held-back one, and the first acceptable one, on whose signing time
-- timeliness is judged.
per_college as (
    select
        round_id,
        college_bin,
        max(file_id) filter (where status = 'loaded') as accepted_file_id,
        arg_max(file_id, signed_at) filter (where status = 'held_back') as held_back_file_id,
        min(signed_at) filter (where is_acceptable) as first_accepted_signed_at
    from versions
    group by round_id, college_bin
),

current_submissions as (
    select
        p.round_id,
        p.college_bin,
        p.held_back_file_id,
        p.first_accepted_signed_at,
        v.file_id,
        v.file_path,
        v.signed_at,
        v.status = 'loaded' as is_accepted
    from per_college as p
    inner join versions as v
        on v.file_id = coalesce(p.accepted_file_id, p.held_back_file_id)
),

superseded as (
    select
        f.partition_key as round_id,
        f.college_bin,
        f.file_id,
        f.path as file_path,
        f.signed_at
    from {{ ref('int_landing__files') }} as f
    where f.source = 'nobd_submission'
        and f.status = 'superseded'
),

findings as (
    select file_id, hold_findings, quarantine_findings, warning_findings
    from {{ ref('int_landing__files') }}
),

status_rows as (
    select
        e.round_id,
        e.college_bin,
        e.region_code,
        s.file_id,
        s.file_path,
        s.signed_at,
        x.deadline_at,
        case
            when s.file_id is null or not s.is_accepted then 'missing'
            when s.first_accepted_signed_at <= x.deadline_at then 'on_time'
            else 'late'
        end as status,
        s.first_accepted_signed_at,
        s.held_back_file_id,
        -- Held back with no accepted version to fall back on: counted as missing.
        coalesce(s.file_id is not null and not s.is_accepted, false) as is_held_back,
        -- Nothing readable arrived, but a file did: "not submitted" would be unfair to it.
        s.file_id is null and j.college_bin is not null as is_rejected,
        coalesce(s.is_accepted and s.held_back_file_id is not null, false)
            as previous_version_current,
        coalesce(
            s.is_accepted
            and s.signed_at > s.first_accepted_signed_at
            and s.signed_at > x.deadline_at,
            false
        ) as corrected_after_due_date
    from expected as e
    inner join deadlines as x
        on x.round_id = e.round_id
        and x.college_bin = e.college_bin
    left join current_submissions as s
        on s.round_id = e.round_id
        and s.college_bin = e.college_bin
    left join rejected as j
        on j.round_id = e.round_id
        and j.college_bin = e.college_bin
),

superseded_rows as (
    select
        s.round_id,
        s.college_bin,
        coalesce(e.region_code, c.region_code) as region_code,
        s.file_id,
        s.file_path,
        s.signed_at,
        -- a college not expected in the round has no extension: the round's own deadline
        coalesce(x.deadline_at, r.deadline_at) as deadline_at,
        'superseded' as status,
        cast(null as timestamp) as first_accepted_signed_at,
        cast(null as varchar) as held_back_file_id,
        false as is_held_back,
        false as is_rejected,
        false as previous_version_current,
        false as corrected_after_due_date
    from superseded as s
    left join rounds as r
        on r.round_id = s.round_id
    left join expected as e
        on e.round_id = s.round_id
        and e.college_bin = s.college_bin
    left join deadlines as x
        on x.round_id = s.round_id
        and x.college_bin = s.college_bin
    left join {{ ref('dim_college') }} as c
        on c.college_bin = s.college_bin
        and c.passport_year = r.passport_year
)

select
    u.*,
    -- What the packs list per college: the most specific of the flags, else the status.
    case
        when u.is_held_back then 'held_back'
        when u.is_rejected then 'rejected'
        when u.previous_version_current then 'previous_version_current'
        when u.corrected_after_due_date then 'corrected_after_due_date'
        else u.status
    end as status_detail,
    coalesce(f.hold_findings, 0) as hold_findings,
    coalesce(f.quarantine_findings, 0) as quarantine_findings,
    coalesce(f.warning_findings, 0) as warning_findings
from (
    select * from status_rows
    union all
    select * from superseded_rows
) as u
left join findings as f
    on f.file_id = u.file_id
