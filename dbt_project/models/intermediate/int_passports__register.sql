-- The register: one passport row per college per passport year, from accepted passport files.
-- A college listed twice (a data-quality finding; or in two files of the same year) keeps its
-- row in the most recently received file, and there its first row.
select
    p.*,
    coalesce(p.ramps and p.light_signals and p.call_button and p.accessible_toilet, false)
        as barrier_free_all
from {{ ref('stg_passports__colleges') }} as p
inner join {{ ref('int_landing__accepted_files') }} as f
    on f.file_id = p._file_id
where p.college_bin is not null
qualify row_number() over (
    partition by p.college_bin, p.passport_year
    order by f.first_seen_at desc, p._file_id, p._row_number
) = 1
