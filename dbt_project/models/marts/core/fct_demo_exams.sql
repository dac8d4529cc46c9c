-- Demonstration-exam results (CIS rows with event type demo_exam), one row per examinee.
select
    year,
    academic_year,
    event_id,
    event_name,
    stream,
    event_date,
    skill,
    competitor_iin_hash as examinee_iin_hash,
    competitor_iin_valid as examinee_iin_valid,
    college_bin,
    region_code,
    cis_region_code,
    college_in_register,
    mark,
    passed,
    source,
    file_id,
    file_path,
    row_number
from {{ ref('fct_worldskills_results') }}
where event_type = 'demo_exam'
