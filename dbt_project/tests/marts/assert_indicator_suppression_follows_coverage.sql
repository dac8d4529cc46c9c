-- A value is suppressed exactly when coverage is below the indicator's threshold, and a
-- suppressed value is never published.
select *
from {{ ref('indicator_values') }}
where suppressed is distinct from (coverage < coverage_threshold)
    or (suppressed and value is not null)
    or (not suppressed and denominator > 0 and value is null)
