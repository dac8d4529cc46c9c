{% set code_columns = ['response'] %}
-- Answer rows of the packs the regions returned (landing/responses/<round>/, contract
-- sources/contracts/dq_response.yml): a row of the findings sheet the region filled in (a
-- response or an explanation); rows left blank are no answer. The region and the version come
-- from the file name the ingest matched; the file's date is the latest answered_on in it.
-- One answer file per region and round is current: the latest dated, then the highest version
-- (docs/ARCHITECTURE.md "Answers to findings"); an earlier one is replaced as a whole.
with

files as (
    select file_id, path, version, first_seen_at
    from {{ ref('stg_landing_files') }}
    where source = 'dq_response' and status = 'loaded'
),

answers as (
    select
        s._partition as round_id,
        {{ answer_file_region('s._file_path') }} as region_code,
        f.version as file_version,
        s.* exclude (response),
        {{ code_select(code_columns) }}
    from {{ source('raw', 'dq_responses') }} as s
    inner join files as f
        on f.file_id = s._file_id
    {{ code_joins('dq_response', 'findings', code_columns, source('raw', 'dq_responses')) }}
    where s.response is not null or s.explanation is not null
),

dated as (
    select _file_id, max(answered_on) as file_answered_on
    from answers
    group by _file_id
),

ranked as (
    select
        d._file_id,
        d.file_answered_on,
        row_number() over (
            partition by a.region_code, a.round_id
            order by d.file_answered_on desc nulls last, a.file_version desc, d._file_id desc
        ) = 1 as is_current_file
    from dated as d
    inner join (select distinct _file_id, region_code, round_id, file_version from answers) as a
        on a._file_id = d._file_id
)

select
    a.*,
    r.file_answered_on,
    r.is_current_file
from answers as a
inner join ranked as r
    on r._file_id = a._file_id
