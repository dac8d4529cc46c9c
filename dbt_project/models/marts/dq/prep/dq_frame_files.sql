{{ config(materialized='view', schema='dq_prep', tags=['dq_prep']) }}
-- GX frame `<source>.files`: one row per rejected file version, for the structure rules. The
-- ingest writes the structure.* rule id to raw.landing_files.reason_rule; sheet and column are
-- only in its reason text (pipelines/ingest/readers.py words them "sheet '<name>' …" and
-- "column '<name>' …" with contract names), so they are read back from there.
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
    case when reason_rule in (
        'structure.missing_sheet', 'structure.missing_column', 'structure.conflicting_sheets'
    )
        then nullif(regexp_extract(reason, 'sheet ''([^'']+)''', 1), '') end as _sheet,
    case when reason_rule = 'structure.missing_column'
        then nullif(regexp_extract(reason, 'column ''([^'']+)''', 1), '') end as _field
from {{ source('raw', 'landing_files') }}
where status = 'rejected'
