-- TVET specialties (classifier subset) with how many qualifications each has.
select
    s.specialty_code,
    s.name_kk,
    s.name_ru,
    s.name_en,
    s.sector,
    count(q.qualification_code) as qualifications,
    s.provenance
from {{ ref('stg_ref__specialties') }} as s
left join {{ ref('stg_ref__qualifications') }} as q
    on q.specialty_code = s.specialty_code
group by all
