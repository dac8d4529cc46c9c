-- Colleges expected in an academic year: expected in at least one of its two rounds.
select
    academic_year,
    college_bin,
    any_value(passport_year) as passport_year,
    -- Both rounds read the same passport; they differ only if its region did not exist yet at
    -- one of the reference dates, and then the known one is kept.
    max(region_code) as region_code,
    any_value(settlement_type) as settlement_type,
    any_value(ownership) as ownership,
    count(*) as expected_rounds,
    count(*) filter (where has_accepted_submission) as accepted_rounds
from {{ ref('int_expected__college_rounds') }}
group by academic_year, college_bin
