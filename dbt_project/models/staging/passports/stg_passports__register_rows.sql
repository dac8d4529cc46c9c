-- Passport rows of accepted passport files with the region each row counts in and what the
-- data-quality step reports about them (docs/ARCHITECTURE.md "Domain rules"). The register is
-- made from these rows by the macro passport_register (macros/passports.sql): before the
-- data-quality step from all of them (dq_prep.dq_register), after it from those it did not
-- quarantine (intermediate.int_passports__register).
--
-- - counts_for_register: the row has a BIN and is in the most recently received accepted file
--   holding that college for the year (an older file of the same year does not speak for it);
-- - passport_date: the date the passport speaks for, the reference date of the first round of its
--   academic year (the autumn round, 1 October of Y); 1 October of Y outside the calendar;
-- - region_written_code: the region the row names; an ambiguous spelling («Алматы») takes the
--   college's region in its passport of the year before when that is a candidate, else NULL;
-- - region_code: the region the college counts in: the written region if it existed at the
--   passport date, else the region that contained it then (Abai -> 63, Jetisu -> 19,
--   Ulytau -> 35 before 2022-06-08; regions.csv parent_code);
-- - passport_conflict: the college has several rows in the file and this row is a repeat of an
--   identical one, or the rows disagree (then every row, passport_conflict_field = the first
--   column they disagree on).
with recursive

files as (
    select file_id, first_seen_at
    from {{ ref('stg_landing_files') }}
    where source = 'college_passport' and is_accepted
),

passport_dates as (
    select academic_year, min(reference_date) as passport_date
    from {{ ref('stg_ref__calendar') }}
    group by academic_year
),

regions as (
    select * from {{ ref('stg_ref__regions') }}
),

passports as (
    select
        p.* exclude (region_code),
        coalesce(d.passport_date, make_date(p.passport_year, 10, 1)) as passport_date,
        coalesce(
            p.college_bin is not null
            and dense_rank() over (
                partition by p.college_bin, p.passport_year
                order by f.first_seen_at desc, p._file_id
            ) = 1,
            false
        ) as counts_for_register
    from {{ ref('stg_passports__colleges') }} as p
    inner join files as f
        on f.file_id = p._file_id
    left join passport_dates as d
        on d.academic_year = p.academic_year
),

-- One row per college and passport year: the distinct candidate sets of its rows' spellings.
years as (
    select college_bin, passport_year, list(distinct region_candidates) as candidate_sets
    from passports
    where counts_for_register
    group by college_bin, passport_year
),

-- The region of each college's passport, year after year. A chain starts at a year without a
-- passport the year before; an ambiguous spelling follows the previous year's region, which may
-- itself have followed its predecessor.
year_regions (college_bin, passport_year, region_code) as (
    select
        y.college_bin,
        y.passport_year,
        {{ region_of_candidate_sets('y.candidate_sets', 'cast(null as varchar)') }}
    from years as y
    where not exists (
        select 1 from years as b
        where b.college_bin = y.college_bin and b.passport_year = y.passport_year - 1
    )

    union all

    select
        y.college_bin,
        y.passport_year,
        {{ region_of_candidate_sets('y.candidate_sets', 'r.region_code') }}
    from year_regions as r
    inner join years as y
        on y.college_bin = r.college_bin
        and y.passport_year = r.passport_year + 1
),

written as (
    select
        p.*,
        prev.region_code as previous_region_code,
        {{ resolve_candidates('p.region_candidates', 'prev.region_code') }} as region_written_code
    from passports as p
    left join year_regions as prev
        on prev.college_bin = p.college_bin
        and prev.passport_year = p.passport_year - 1
),

counted as (
    select
        w.*,
        -- pipelines.reference.region_on: a region not created yet -> its parent (two levels
        -- suffice: 79 -> 61 is the deepest chain in regions.csv).
        case
            when g.region_code is null then null
            when {{ region_exists('g', 'w.passport_date') }} or g.parent_code is null
                then g.region_code
            when {{ region_exists('gp', 'w.passport_date') }} or gp.parent_code is null
                then gp.region_code
            else gp.parent_code
        end as region_code,
        len(w.region_candidates) > 1 as region_ambiguous,
        not {{ region_exists('g', 'w.passport_date') }} as region_not_yet_established
    from written as w
    left join regions as g
        on g.region_code = w.region_written_code
    left join regions as gp
        on gp.region_code = g.parent_code
),

groups as (
    {{ passport_register('counted') }}
)

select
    c.*,
    g.passport_rows,
    coalesce(
        c.counts_for_register
        and g.passport_rows > 1
        and (
            g.conflict_field is not null
            or row_number() over (
                partition by c.college_bin, c.passport_year, c.counts_for_register
                order by c._row_number
            ) > 1
        ),
        false
    ) as passport_conflict,
    case when c.counts_for_register and g.passport_rows > 1 then g.conflict_field end
        as passport_conflict_field
from counted as c
left join groups as g
    on g.college_bin = c.college_bin
    and g.passport_year = c.passport_year
    and c.counts_for_register
