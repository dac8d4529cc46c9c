-- Facts and indicators use only file versions that are accepted NOW (registry status `loaded`):
-- a table built before the data-quality step moved a submission to held_back would show up here.
-- The registry is read as the raw source, not through staging: a test with a staging parent
-- would also be picked (eager indirect selection) by the Dagster staging step, before the marts.
with

used as (
    select distinct file_id, 'fct_enrolment' as used_by from {{ ref('fct_enrolment') }}
    union all
    select distinct file_id, 'fct_library_fund' from {{ ref('fct_library_fund') }}
    union all
    select distinct accepted_file_id, 'fct_expected_colleges' from {{ ref('fct_expected_colleges') }}
    where accepted_file_id is not null
)

select u.used_by, u.file_id, f.path, f.status
from used as u
left join {{ source('raw', 'landing_files') }} as f
    on f.file_id = u.file_id
where f.status is distinct from 'loaded'
