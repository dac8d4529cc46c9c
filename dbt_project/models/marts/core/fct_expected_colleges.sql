-- Colleges expected to submit in each round (college x round), per the register rules, with the
-- accepted current submission if there is one. Shared by the indicators and the DQ marts.
select
    round_id,
    academic_year,
    season,
    reference_date,
    college_bin,
    passport_year,
    region_code,
    passport_region_code,
    settlement_type,
    ownership,
    has_accepted_submission,
    accepted_file_id,
    accepted_signed_at
from {{ ref('int_expected__college_rounds') }}
