-- Data-quality findings for statisticians and the regional report packs: dq.findings (written by
-- the Dagster asset `dq_findings`) with the region the finding belongs to.
-- Region = the college's region at the period: for an NOBD finding the region the college is
-- expected under in that round (marts.fct_expected_colleges, the same as dq_submission_status);
-- for a passport or CIS finding its passport region of that year (marts.dim_college). A college
-- with neither falls back to what the finding's own file says: the NOBD header, or the CIS row.
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

cis_regions as (
    select _file_id as file_id, _row_number as row_number, region_code
    from {{ ref('stg_worldskills__results') }}
)

select
    f.round_id,
    f.year,
    f.college_bin,
    case
        when e.college_bin is not null then e.region_code
        else coalesce(c.region_code, h.region_code, w.region_code)
    end as region_code,
    case
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
