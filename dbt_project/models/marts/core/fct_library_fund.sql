-- Textbook fund of college libraries by language (copies and titles), one row per subject area
-- of every accepted current NOBD submission, by round.
select
    {{ accepted_submission_columns() }},
    l.subject_area,
    l.copies_total,
    l.copies_kk,
    l.copies_ru,
    l.copies_other,
    l.titles_total,
    l.titles_kk,
    'NOBD' as source,
    l._file_id as file_id,
    l._file_path as file_path,
    l._row_number as row_number
from {{ ref('stg_nobd__library') }} as l
{{ accepted_submission_joins('l') }}
where {{ not_quarantined('l') }}
