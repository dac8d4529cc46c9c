-- Colleges expected to submit in each round (docs/ARCHITECTURE.md, "Register"): the passport
-- of the round's academic year, open at the round's reference date. Region, settlement type and
-- ownership are the register's: a college counts under the region its passport counts in (the
-- region that existed at the passport date: a passport naming Abai before 8 June 2022 counts in
-- East Kazakhstan, stg_passports__register_rows), which must exist at the reference date.
-- An opening date the college's repeated rows disagree on is unknown (NULL): the college stays
-- expected, a conflict in its passport does not remove it from the register.
with

register as (
    select * from {{ ref('int_passports__register') }}
),

rounds as (
    select * from {{ ref('stg_ref__calendar') }}
),

submissions as (
    select * from {{ ref('int_nobd__accepted_submissions') }}
),

regions as (
    select * from {{ ref('stg_ref__regions') }}
)

select
    r.round_id,
    r.academic_year,
    r.season,
    r.reference_date,
    p.college_bin,
    p.passport_year,
    g.region_code,
    p.region_code as passport_region_code,
    p.settlement_type,
    p.ownership,
    s.file_id as accepted_file_id,
    s.signed_at as accepted_signed_at,
    s.file_id is not null as has_accepted_submission
from register as p
inner join rounds as r
    on r.academic_year = p.academic_year
left join regions as g
    on g.region_code = p.region_code
    and (g.valid_from is null or g.valid_from <= r.reference_date)
    and (g.valid_to is null or g.valid_to > r.reference_date)
left join submissions as s
    on s.college_bin = p.college_bin
    and s.round_id = r.round_id
where (p.opened_on is null or p.opened_on <= r.reference_date)
    and (p.closed_on is null or p.closed_on > r.reference_date)
