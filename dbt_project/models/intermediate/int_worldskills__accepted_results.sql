-- CIS result rows of accepted export files (championships and demonstration exams), without
-- quarantined rows.
select
    w.*
from {{ ref('stg_worldskills__results') }} as w
inner join {{ ref('int_landing__accepted_files') }} as f
    on f.file_id = w._file_id
where {{ not_quarantined('w') }}
