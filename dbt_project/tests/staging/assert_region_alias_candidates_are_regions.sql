-- Every spelling means one region (region_code) or is ambiguous between at least two regions
-- (candidate_codes, region_code empty), and every candidate is a region: the rule
-- pipelines.reference.region_candidates reads from the same CSV.
select a.alias, a.region_code, a.region_candidates
from {{ ref('stg_ref__region_aliases') }} as a
where (a.region_code is null and len(a.region_candidates) < 2)
    or (a.region_code is not null and a.region_candidates <> [a.region_code])
    or exists (
        select 1
        from unnest(a.region_candidates) as c(code)
        where c.code not in (select region_code from {{ ref('stg_ref__regions') }})
    )
