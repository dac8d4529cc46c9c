-- Rows the data-quality step quarantined (docs/ARCHITECTURE.md "Acceptance policy"): every row
-- with a finding of severity `quarantine`. Facts and indicators leave them out through the
-- macro `not_quarantined`; the submission's other rows count.
select
    file_id,
    sheet,
    row_number,
    string_agg(distinct rule_id, ', ' order by rule_id) as rule_ids
from {{ source('dq', 'findings') }}
where severity = 'quarantine'
    and row_number is not null
group by file_id, sheet, row_number
