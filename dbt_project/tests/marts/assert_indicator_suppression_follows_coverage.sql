-- A value is suppressed exactly when coverage is below the indicator's threshold or it is the
-- complementary suppression of a region (with the reason saying which), and a suppressed value
-- is never published.
select *
from {{ ref('fct_indicator_values') }}
where suppressed is distinct from (
        coverage < coverage_threshold or coalesce(suppression_reason = 'complementary', false)
    )
    or (suppressed and value is not null)
    or (not suppressed and denominator > 0 and value is null)
    or (suppression_reason = 'complementary' and (level <> 'region' or coverage < coverage_threshold))
