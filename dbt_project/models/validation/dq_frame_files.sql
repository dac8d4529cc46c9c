-- GX frame `<source>.files`: one row per rejected file version, for the structure rules. The
-- ingest records the structure.* rule id and the contract's sheet and column it names in
-- raw.landing_files (reason_rule, reason_sheet, reason_field) when it rejects the file.
select
    file_id as _file_id,
    cast(null as bigint) as _row_number,
    source as _source,
    -- NOBD: the BIN of the file name (the registry's, since nothing was read from the file).
    college_bin as _college_bin,
    reason_rule,
    -- The file's own detail in Kazakh and Russian (NULL for files registered before the ingest
    -- wrote them): the finding's message is the rule's wording, this says what in the file.
    reason_kk,
    reason_ru,
    reason_sheet as _sheet,
    reason_field as _field
from {{ source('raw', 'landing_files') }}
where status = 'rejected'
