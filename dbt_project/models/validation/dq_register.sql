-- The register as the data-quality step needs it (one passport row per college and passport
-- year): the macro passport_register over every row that may count, since the step has not yet
-- decided which rows it quarantines. intermediate.int_passports__register is the same macro over
-- the rows it did not quarantine.
with

register as (
    {{ passport_register(ref('stg_passports__register_rows')) }}
)

select
    college_bin,
    passport_year,
    capacity
from register
