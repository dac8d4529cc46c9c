{{ config(
    materialized='incremental',
    unique_key='finding_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}
-- Every finding any build has issued, one row per finding_id, kept from build to build (an
-- incremental model: each build merges its findings into what earlier builds left). A finding
-- of this build has the state fct_dq_findings gives it; one that is gone is `corrected` (a
-- corrected submission no longer raises it), its last answer kept beside it. The answers' check reads this
-- table as it stood before the build (macro issued_findings): an answer may name a finding that
-- has since been corrected, never one that was not issued. `edustat rekey` starts it afresh.
with

build as (
    select cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as built_at
),

current_findings as (
    select
        finding_id,
        any_value(round_id) as round_id,
        any_value(year) as year,
        any_value(college_bin) as college_bin,
        any_value(region_code) as region_code,
        any_value(source) as source,
        any_value(rule_id) as rule_id,
        any_value(severity) as severity,
        any_value(state) as state
    from {{ ref('fct_dq_findings') }}
    group by finding_id
),

earlier as (
    {% if is_incremental() %}
    select finding_id, round_id, year, college_bin, region_code, source, rule_id, severity,
        first_issued_at, last_issued_at
    from {{ this }}
    {% else %}
    select
        cast(null as varchar) as finding_id,
        cast(null as varchar) as round_id,
        cast(null as integer) as year,
        cast(null as varchar) as college_bin,
        cast(null as varchar) as region_code,
        cast(null as varchar) as source,
        cast(null as varchar) as rule_id,
        cast(null as varchar) as severity,
        cast(null as timestamp) as first_issued_at,
        cast(null as timestamp) as last_issued_at
    where false
    {% endif %}
),

merged as (
    select
        coalesce(c.finding_id, e.finding_id) as finding_id,
        coalesce(c.round_id, e.round_id) as round_id,
        coalesce(c.year, e.year) as year,
        coalesce(c.college_bin, e.college_bin) as college_bin,
        coalesce(c.region_code, e.region_code) as region_code,
        coalesce(c.source, e.source) as source,
        coalesce(c.rule_id, e.rule_id) as rule_id,
        coalesce(c.severity, e.severity) as severity,
        coalesce(e.first_issued_at, b.built_at) as first_issued_at,
        case when c.finding_id is not null then b.built_at else e.last_issued_at end
            as last_issued_at,
        c.finding_id is not null as is_current,
        coalesce(c.state, 'corrected') as state
    from current_findings as c
    full outer join earlier as e
        on e.finding_id = c.finding_id
    cross join build as b
)

select
    m.*,
    a.response,
    a.explanation,
    a.answered_by,
    a.answered_on,
    a.answer_file_path,
    -- days from the build that first issued the finding to the region's answer
    date_diff('day', cast(m.first_issued_at as date), a.answered_on) as days_to_answer,
    -- days the finding stayed open: to its answer, else to the last build that raised it
    date_diff(
        'day', cast(m.first_issued_at as date), coalesce(a.answered_on, cast(m.last_issued_at as date))
    ) as days_open
from merged as m
left join {{ ref('int_dq__finding_answers') }} as a
    on a.finding_id = m.finding_id
    and a.answer_region_code is not distinct from m.region_code
