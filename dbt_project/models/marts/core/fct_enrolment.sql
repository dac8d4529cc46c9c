-- Current enrolment: one row per student of every accepted current NOBD submission (status
-- `loaded`), by round. Students are pseudonymous (iin_hash); no raw IIN exists in the warehouse.
select
    {{ accepted_submission_columns() }},
    s.iin_hash,
    s.iin_valid,
    s.gender,
    s.birth_date,
    s.specialty_code,
    s.specialty_known,
    s.qualification_code,
    s.qualification_known,
    s.course,
    s.study_language,
    s.study_form,
    s.funding,
    s.dual_training,
    s.enterprise_bin,
    s.sen,
    s.status,
    'NOBD' as source,
    {{ lineage_columns('s') }}
from {{ ref('stg_nobd__students') }} as s
{{ accepted_submission_joins('s') }}
where {{ not_quarantined('s') }}
