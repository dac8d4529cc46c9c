{{ config(materialized='view', schema='dq_prep', tags=['dq_prep']) }}
-- The register as the data-quality step needs it (one passport row per college and passport
-- year, from accepted passport files). The same rule as intermediate.int_passports__register
-- (keep the two in step), which cannot be used here: it is built after this step.
select
    p.college_bin,
    p.passport_year,
    p.capacity
from {{ ref('stg_passports__colleges') }} as p
inner join {{ ref('stg_landing_files') }} as f
    on f.file_id = p._file_id
    and f.is_accepted
where p.college_bin is not null
qualify row_number() over (
    partition by p.college_bin, p.passport_year
    order by f.first_seen_at desc, p._file_id, p._row_number
) = 1
