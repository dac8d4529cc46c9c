-- GX frame `dq_response.findings`: the answer rows of the current answer file of each region
-- and round, with what the suite checks: the finding was issued, to this region, and the
-- response is one the finding allows (a finding that costs rows or a submission is cleared only
-- by a correction: it cannot be confirmed). Flags are NULL where they do not apply.
with

answers as (
    select * from {{ ref('stg_dq_responses__answers') }} where is_current_file
),

issued as (
    select finding_id, any_value(region_code) as region_code, any_value(severity) as severity
    from ({{ issued_findings() }})
    group by finding_id
)

select
    a._file_id,
    a._row_number,
    cast(null as varchar) as _college_bin,
    a.finding_id,
    coalesce(a.response, nullif(trim(a.response_raw), '')) as response,
    a.explanation,
    a.answered_by,
    a.answered_on,
    a.response_raw is not null as response_given,
    case when a.finding_id is not null then i.finding_id is not null else false end
        as finding_issued,
    case when i.finding_id is not null then i.region_code is not distinct from a.region_code end
        as finding_in_region,
    case when i.finding_id is not null and a.response = 'confirmed' then i.severity = 'warning' end
        as response_allowed
from answers as a
left join issued as i
    on i.finding_id = a.finding_id
