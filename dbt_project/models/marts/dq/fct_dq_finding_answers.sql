-- The regions' answers, every row with its outcome (intermediate.int_dq__answers).
select * from {{ ref('int_dq__answers') }}
