-- The answer that holds for each answered finding: among the applied answers to its id, the
-- latest answered (then the latest answer file, the later round, the lower row). A finding of a
-- yearly source sits in the packs of both rounds of its academic year and may be answered twice.
select
    finding_id,
    round_id as answer_round_id,
    region_code as answer_region_code,
    file_path as answer_file_path,
    row_number as answer_row_number,
    response,
    explanation,
    answered_by,
    answered_on
from {{ ref('int_dq__answers') }}
where outcome = 'applied'
qualify row_number() over (
    partition by finding_id
    order by answered_on desc nulls last, file_answered_on desc nulls last, round_id desc,
        file_path desc, row_number
) = 1
