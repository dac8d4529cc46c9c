-- Library fund rows of every NOBD submission, with the submission's college and round.
{{ nobd_sheet_rows('library', ['subject_area']) }}
