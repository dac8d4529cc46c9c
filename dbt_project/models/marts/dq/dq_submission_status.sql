-- Timeliness per expected college per round (docs/ARCHITECTURE.md "Timeliness"), plus one row
-- per superseded submission. `missing` = no accepted current submission, which includes a current
-- submission held back for blocking findings (file_id set, blocking_findings > 0) and a college
-- whose only file was rejected (file_id NULL; its structure finding is in marts.dq_findings).
with

expected as (
    select round_id, college_bin, region_code from {{ ref('fct_expected_colleges') }}
),

rounds as (
    select round_id, passport_year, deadline_at from {{ ref('dim_round') }}
),

-- Extensions add days to the round's deadline: the college's region's and the college's own.
extension_days as (
    select
        e.round_id,
        e.college_bin,
        coalesce(sum(x.extra_days), 0) as extra_days
    from expected as e
    left join {{ ref('dim_deadline_extension') }} as x
        on x.round_id = e.round_id
        and (
            (x.scope = 'region' and x.region_code = e.region_code)
            or (x.scope = 'college' and x.college_bin = e.college_bin)
        )
    group by e.round_id, e.college_bin
),

-- The current submission of each college and round: the accepted one, else the held-back one
-- (the latest signed if a college has two, which only a mistyped header BIN can cause).
current_submissions as (
    select *
    from {{ ref('dq_current_submissions') }}
    qualify row_number() over (
        partition by round_id, college_bin
        order by is_accepted desc, signed_at desc nulls last, file_id
    ) = 1
),

superseded as (
    select
        f.partition_key as round_id,
        coalesce(nullif(regexp_extract(f.path, '(\d{12})_[^/]*$', 1), ''), f.college_bin)
            as college_bin,
        f.file_id,
        f.path as file_path,
        f.signed_at
    from {{ ref('stg_landing_files') }} as f
    where f.source = 'nobd_submission'
        and f.status = 'superseded'
),

findings as (
    select
        file_id,
        count(*) filter (where severity = 'blocking') as blocking_findings,
        count(*) filter (where severity = 'warning') as warning_findings
    from {{ source('dq', 'findings') }}
    group by file_id
),

status_rows as (
    select
        e.round_id,
        e.college_bin,
        e.region_code,
        s.file_id,
        s.file_path,
        s.signed_at,
        r.deadline_at + to_days(cast(x.extra_days as integer)) as deadline_at,
        case
            when s.file_id is null or not s.is_accepted then 'missing'
            when s.signed_at <= r.deadline_at + to_days(cast(x.extra_days as integer)) then 'on_time'
            else 'late'
        end as status
    from expected as e
    inner join rounds as r
        on r.round_id = e.round_id
    inner join extension_days as x
        on x.round_id = e.round_id
        and x.college_bin = e.college_bin
    left join current_submissions as s
        on s.round_id = e.round_id
        and s.college_bin = e.college_bin
),

superseded_rows as (
    select
        s.round_id,
        s.college_bin,
        coalesce(e.region_code, c.region_code) as region_code,
        s.file_id,
        s.file_path,
        s.signed_at,
        r.deadline_at + to_days(cast(coalesce(x.extra_days, 0) as integer)) as deadline_at,
        'superseded' as status
    from superseded as s
    left join rounds as r
        on r.round_id = s.round_id
    left join expected as e
        on e.round_id = s.round_id
        and e.college_bin = s.college_bin
    left join extension_days as x
        on x.round_id = s.round_id
        and x.college_bin = s.college_bin
    left join {{ ref('dim_college') }} as c
        on c.college_bin = s.college_bin
        and c.passport_year = r.passport_year
)

select
    u.*,
    coalesce(f.blocking_findings, 0) as blocking_findings,
    coalesce(f.warning_findings, 0) as warning_findings
from (
    select * from status_rows
    union all
    select * from superseded_rows
) as u
left join findings as f
    on f.file_id = u.file_id
