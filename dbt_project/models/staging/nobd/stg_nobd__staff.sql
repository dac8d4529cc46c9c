{% set code_columns = ['category'] %}
-- Staff counts of NOBD submissions that include the optional staff sheet.
with
{{ submission_keys_cte() }}

select
    k.college_bin,
    k.round_id,
    s.* exclude ({{ code_columns | join(', ') }}),
    {{ code_select(code_columns) }}
from {{ source('raw', 'nobd_staff') }} as s
left join submission_keys as k
    on k._file_id = s._file_id
{{ code_joins('nobd_submission', 'staff', code_columns) }}
