-- Every answer row of every answer file the ingest loaded, with what became of it
-- (docs/ARCHITECTURE.md "Answers to findings"): `applied` (it sets its finding's state),
-- `superseded` (a later answer file of the same region and round replaces its file) or
-- `rejected` (the data-quality step quarantined it: a finding of its own in dq.findings, whose
-- wording is the reason). Nothing is dropped: a superseded or rejected row says why.
with

answers as (
    select * from {{ ref('stg_dq_responses__answers') }}
),

problems as (
    select
        file_id,
        row_number,
        string_agg(rule_id, ', ' order by rule_id) as rule_ids,
        string_agg(message_kk, '; ' order by rule_id) as reason_kk,
        string_agg(message_ru, '; ' order by rule_id) as reason_ru
    from {{ source('dq', 'findings') }}
    where source = 'dq_response' and severity = 'quarantine' and row_number is not null
    group by file_id, row_number
),

superseded as (
    select kk, ru from {{ ref('dim_label') }} where kind = 'answer_outcome' and code = 'superseded'
),

outcomes as (
    select
        a.*,
        case
            when not a.is_current_file then 'superseded'
            when p.file_id is not null then 'rejected'
            else 'applied'
        end as outcome,
        p.rule_ids,
        p.reason_kk as problem_kk,
        p.reason_ru as problem_ru
    from answers as a
    left join problems as p
        on p.file_id = a._file_id
        and p.row_number = a._row_number
)

select
    o.round_id,
    o.region_code,
    o._file_id as file_id,
    o._file_path as file_path,
    o.file_version,
    o.file_answered_on,
    o._row_number as row_number,
    o.finding_id,
    o.response,
    o.response_raw,
    o.explanation,
    o.answered_by,
    o.answered_on,
    o.outcome,
    case when o.outcome = 'rejected' then o.rule_ids end as reason_rule_ids,
    case o.outcome when 'superseded' then s.kk when 'rejected' then o.problem_kk end as reason_kk,
    case o.outcome when 'superseded' then s.ru when 'rejected' then o.problem_ru end as reason_ru
from outcomes as o
left join superseded as s on true
