"""ADR files in and out: MADR 2/3/4, log4brains and Nygard/adr-tools.

`parse.parse_adr(name, data)` reads one file into a `ParsedADR`; `write` renders a
decision back as MADR or Nygard; `importer.import_files` applies a folder (or a zip)
to a log through `adr.services`, idempotently; `archive` reads uploaded zips safely.
"""
