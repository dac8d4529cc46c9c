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
    {{ lineage_columns('l') }}
from {{ ref('stg_nobd__library') }} as l
{{ accepted_submission_joins('l') }}
where {{ not_quarantined('l') }}
