-- GX frame `nobd_submission.staff`: staff rows of current NOBD submissions (the sheet is optional).
select
    s._file_id,
    s._row_number,
    c.college_bin as _college_bin,
    coalesce(s.category, nullif(trim(s.category_raw), '')) as category,
    s.headcount,
    s.fte
from {{ ref('stg_nobd__staff') }} as s
inner join {{ ref('dq_submission_versions') }} as c
    on c.file_id = s._file_id
