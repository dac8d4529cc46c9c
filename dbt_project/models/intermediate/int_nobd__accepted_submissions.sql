-- One row per accepted current NOBD submission (college x round). College and round come from
-- the registry (the file name), which is also how the ingest decides which version is current.
with

accepted as (
    select *
    from {{ ref('int_landing__accepted_files') }}
    where source = 'nobd_submission'
),

header as (
    select *
    from {{ ref('stg_nobd__header') }}
    qualify row_number() over (partition by _file_id order by _row_number) = 1
),

-- Warnings do not hold a submission back; their count travels with it for the statisticians.
findings as (
    select file_id, warning_findings
    from {{ ref('int_landing__files') }}
)

select
    a.file_id,
    a.college_bin,
    a.partition_key as round_id,
    a.path as file_path,
    a.version,
    coalesce(a.signed_at, h.signed_at) as signed_at,
    h.reference_date as header_reference_date,
    h.region_code as header_region_code,
    coalesce(f.warning_findings, 0) as warning_findings
from accepted as a
left join header as h
    on h._file_id = a.file_id
left join findings as f
    on f.file_id = a.file_id
