-- Staff counts of NOBD submissions that include the optional staff sheet.
{{ nobd_sheet_rows('staff', ['category']) }}
