-- The SQL normalise_label macro must give exactly the `alias_normalised` that the Python rule
-- (pipelines.contracts.normalise_label) wrote into region_aliases.csv: one rule, two languages.
select
    alias,
    alias_normalised,
    {{ normalise_label('alias') }} as sql_normalised
from {{ ref('stg_ref__region_aliases') }}
where alias_normalised is distinct from {{ normalise_label('alias') }}
