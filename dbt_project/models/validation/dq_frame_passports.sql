-- GX frame `college_passport.colleges`: passport rows of accepted passport files, named as in the
-- contract, with the flags of the region and repeat rules (stg_passports__register_rows decides
-- them; NULL = the rule does not apply) and what the cross-source rule needs from the CIS exports.
with

accepted_files as (
    select file_id, source from {{ ref('stg_landing_files') }} where is_accepted
),

demo_exams as (
    select w.year, w.college_bin
    from {{ ref('stg_worldskills__results') }} as w
    inner join accepted_files as f
        on f.file_id = w._file_id
    where w.event_type = 'demo_exam'
),

-- Years whose CIS exports hold demonstration exams at all: without them there is nothing to
-- check a claim against (an export not delivered yet is not evidence of no exam).
demo_exam_years as (
    select distinct year from demo_exams
)

select
    p._file_id,
    p._row_number,
    p.college_bin as _college_bin,
    p.college_bin,
    p.name_kk,
    p.name_ru,
    p.region_raw as region,
    -- In the alias list at all (an ambiguous spelling is known, and reported as ambiguous).
    case when p.region_raw is not null then len(p.region_candidates) > 0 end as region_known,
    case when p.region_ambiguous then p.region_written_code is not null end as region_resolved,
    case when p.region_written_code is not null then not p.region_not_yet_established end
        as region_established,
    not p.passport_conflict as passport_unique,
    -- The field a passport_conflict finding names (runner: the spec's field is NULL).
    p.passport_conflict_field as _field,
    coalesce(p.settlement_type, nullif(trim(p.settlement_type_raw), '')) as settlement_type,
    coalesce(p.ownership, nullif(trim(p.ownership_raw), '')) as ownership,
    {%- for column in passport_fact_columns() %}
    p.{{ column }},
    {%- endfor %}
    case
        when y.year is not null then exists (
            select 1 from demo_exams as d
            where d.year = p.passport_year and d.college_bin = p.college_bin
        )
    end as has_demo_exam_result
from {{ ref('stg_passports__register_rows') }} as p
inner join accepted_files as f
    on f.file_id = p._file_id
left join demo_exam_years as y
    on y.year = p.passport_year
