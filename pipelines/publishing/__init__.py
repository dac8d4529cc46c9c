"""What the yearbook and the DQ report packs share: how a number reads (`numbers`), what a code is
called (`labels`) and how wide a table may be on a page (`layout`). One place for each rule, so
the PDF, the HTML and the XLSX of every publication show the same thing."""
