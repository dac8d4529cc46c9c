{% set code_columns = ['gender', 'study_language', 'study_form', 'funding', 'status'] %}
-- Students of every NOBD submission (all statuses: the data-quality step validates current ones,
-- the marts keep accepted ones). Codes normalised once here; IIN only as hash + validity flag.
with
{{ submission_keys_cte() }}

select
    k.college_bin,
    k.round_id,
    s.* exclude ({{ code_columns | join(', ') }}, specialty_code, qualification_code),
    {{ code_select(code_columns) }},
    s.specialty_code as specialty_code_raw,
    {{ clean_code('s.specialty_code') }} as specialty_code,
    sp.specialty_code is not null as specialty_known,
    s.qualification_code as qualification_code_raw,
    {{ clean_code('s.qualification_code') }} as qualification_code,
    q.qualification_code is not null as qualification_known
from {{ source('raw', 'nobd_students') }} as s
left join submission_keys as k
    on k._file_id = s._file_id
{{ code_joins('nobd_submission', 'students', code_columns, source('raw', 'nobd_students')) }}
left join {{ ref('stg_ref__specialties') }} as sp
    on sp.specialty_code = {{ clean_code('s.specialty_code') }}
left join {{ ref('stg_ref__qualifications') }} as q
    on q.qualification_code = {{ clean_code('s.qualification_code') }}
