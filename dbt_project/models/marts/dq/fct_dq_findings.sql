-- Data-quality findings for statisticians and the regional report packs: dq.findings (written by
-- the Dagster asset `dq_findings`) with the region the finding belongs to.
-- Region = the college's region at the period: for an NOBD finding the region the college is
-- expected under in that round (marts.fct_expected_colleges, the same as fct_dq_submission_status);
-- for a passport or CIS finding its passport region of that year (marts.dim_college). A college
-- with neither falls back to what the finding's own file says: the NOBD header, or the CIS row.
-- A finding on a region's answer file belongs to that region (the file name's region code).
-- finding_id is stable across builds (macro finding_id); `state` is what the region answered
-- (docs/ARCHITECTURE.md "Answers to findings"): open until an applied answer says confirmed,
-- will_correct or disputed. A finding that disappears (corrected) is in fct_dq_finding_history.
with

findings as (
    select * from {{ source('dq', 'findings') }}
),

expected as (
    select round_id, college_bin, region_code from {{ ref('fct_expected_colleges') }}
),

colleges as (
    select college_bin, passport_year, region_code from {{ ref('dim_college') }}
),

header_regions as (
    select _file_id as file_id, any_value(region_code) as region_code
    from {{ ref('stg_nobd__header') }}
    group by _file_id
),

answers as (
    select * from {{ ref('int_dq__finding_answers') }}
),

cis_regions as (
    select _file_id as file_id, _row_number as row_number, region_code
    from {{ ref('stg_worldskills__results') }}
),

placed as (
select
    {{ finding_id('f') }} as finding_id,
    f.round_id,
    f.year,
    f.college_bin,
    case
        when f.source = 'dq_response' then {{ answer_file_region('f.file_path') }}
        when e.college_bin is not null then e.region_code
        else coalesce(c.region_code, h.region_code, w.region_code)
    end as region_code,
    case
        when f.source = 'dq_response' then 'answer_file'
        when e.college_bin is not null then 'passport'
        when c.region_code is not null then 'passport'
        when h.region_code is not null then 'submission_header'
        when w.region_code is not null then 'cis_row'
    end as region_source,
    f.source,
    f.file_id,
    f.file_path,
    f.sheet,
    f.row_number,
    f.field,
    f.rule_id,
    split_part(f.rule_id, '.', 1) as rule_family,
    f.severity,
    f.offending_value,
    f.message_kk,
    f.message_ru
from findings as f
left join expected as e
    on e.round_id = f.round_id
    and e.college_bin = f.college_bin
left join colleges as c
    on c.college_bin = f.college_bin
    and c.passport_year = f.year
left join header_regions as h
    on f.source = 'nobd_submission'
    and h.file_id = f.file_id
left join cis_regions as w
    on f.source = 'worldskills_export'
    and w.file_id = f.file_id
    and w.row_number = f.row_number
)

select
    p.*,
    coalesce(a.response, 'open') as state,
    a.response,
    a.explanation,
    a.answered_by,
    a.answered_on,
    a.answer_file_path
from placed as p
left join answers as a
    on a.finding_id = p.finding_id
    -- a region's answer never changes another region's finding (the check also rejects it)
    and a.answer_region_code is not distinct from p.region_code
