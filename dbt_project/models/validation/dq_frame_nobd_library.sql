-- GX frame `nobd_submission.library`: library-fund rows of every current NOBD submission.
select
    s._file_id,
    s._row_number,
    c.college_bin as _college_bin,
    coalesce(s.subject_area, nullif(trim(s.subject_area_raw), '')) as subject_area,
    s.copies_total,
    s.copies_kk,
    s.copies_ru,
    s.copies_other,
    s.titles_total,
    s.titles_kk
from {{ ref('stg_nobd__library') }} as s
inner join {{ ref('dq_submission_versions') }} as c
    on c.file_id = s._file_id
