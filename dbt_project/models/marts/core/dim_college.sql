{{ config(post_hook=[
    "create or replace macro {{ this.schema }}.college_region_at(bin, on_date) as (
        select any_value(region_code) from {{ this }}
        where college_bin = bin and on_date >= valid_from and on_date < valid_to)"
]) }}
-- College history from the passports: one row per college per passport year, valid for that
-- academic year, 1 September to 1 September (both rounds' reference dates fall inside).
-- The region at any date: `where d >= valid_from and d < valid_to`, or the DuckDB macro
-- marts.college_region_at(college_bin, date) created with this table.
select
    college_bin,
    passport_year,
    academic_year,
    make_date(passport_year, 9, 1) as valid_from,
    make_date(passport_year + 1, 9, 1) as valid_to,
    passport_year = max(passport_year) over (partition by college_bin) as is_latest,
    name_kk,
    name_ru,
    region_code,
    region_raw,
    settlement_type,
    ownership,
    opened_on,
    closed_on,
    capacity,
    ramps,
    light_signals,
    call_button,
    accessible_toilet,
    barrier_free_all,
    competence_centre,
    competence_sector,
    {{ lineage_columns() }}
from {{ ref('int_passports__register') }}
