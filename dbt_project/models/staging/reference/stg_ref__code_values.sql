-- Spelling -> canonical code for every `type: code` column with `allowed` values in the contracts.
select
    cast(source as varchar) as source,
    cast(sheet as varchar) as sheet,
    cast(column_name as varchar) as column_name,
    cast(spelling_normalised as varchar) as spelling_normalised,
    cast(code as varchar) as code
from {{ source('raw', 'ref_code_values') }}
