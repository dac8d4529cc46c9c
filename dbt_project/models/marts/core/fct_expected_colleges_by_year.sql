-- Colleges expected in each academic year (college x academic year): expected in at least one of
-- the year's two rounds. The denominator of the academic-year indicators.
select
    academic_year,
    college_bin,
    passport_year,
    region_code,
    settlement_type,
    ownership,
    expected_rounds,
    accepted_rounds
from {{ ref('int_expected__college_years') }}
