{% set code_columns = ['subject_area'] %}
-- Library fund rows of every NOBD submission, with the submission's college and round.
with
{{ submission_keys_cte() }}

select
    k.college_bin,
    k.round_id,
    s.* exclude ({{ code_columns | join(', ') }}),
    {{ code_select(code_columns) }}
from {{ source('raw', 'nobd_library') }} as s
left join submission_keys as k
    on k._file_id = s._file_id
{{ code_joins('nobd_submission', 'library', code_columns) }}
