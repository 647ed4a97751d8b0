"""ADR files in and out: MADR 2/3/4, log4brains and Nygard/adr-tools, losslessly.

Reading: `parse.parse_adr(name, data)` reads one file into a `ParsedADR` (`parsed`:
what a parse yields, and the readers of dates, names, tags, relation lines) in named
steps, on `markdown` (sections, fences), `vocabulary` (status words, relation verbs,
headings), `frontmatter` (kept verbatim) and `sections` (options, consequences,
outcome, matrix). Applying: `importer.import_files` numbers a folder (or a zip) and
resolves links; `apply` writes each file through `adr.services.decision_save_full`
(the one writer of a whole decision; parts matched by position, unchanged ones
untouched), leaving a file that would overwrite an unrelated or linked decision for a
choice (`conflicts`); `snapshot` compares. Writing: `write` renders MADR or Nygard
under the file's own name, with the file's own wording (`metadata`). Around them:
`archive` (zips, read defensively), `jobs` (big zips on a Celery worker), `gitsync` (a
log kept in a git folder) and `links` (links between ADR files as in-app links).
"""
