"""`python manage.py export_adrs PATH --log KEY [--format madr|nygard] [--log4brains]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from adr.interop.write import FORMATS, decisions_for_export, filename, render
from adr.models import DecisionLog


class Command(BaseCommand):
    help = (
        "Write one file per decision of a log, as MADR or Nygard (adr-tools), under the name "
        "it was imported from (NNNN-slug.md for decisions made in the ledger)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Folder to write into (created if missing).")
        parser.add_argument("--log", required=True)
        parser.add_argument("--format", default="madr", choices=FORMATS)
        parser.add_argument(
            "--log4brains",
            action="store_true",
            help="MADR that log4brains reads too: `- Status:`/`- Date:` lines under the title, "
            "front matter closed with '...'.",
        )

    def handle(self, *args, path, log, format, log4brains, **options):
        if log4brains and format != "madr":
            raise CommandError("--log4brains goes with --format madr.")
        decision_log = DecisionLog.objects.filter(key=log.strip().upper()).first()
        if decision_log is None:
            raise CommandError(f"No log {log!r}.")
        folder = Path(path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot create {path}: {exc}") from exc
        count = 0
        for decision in decisions_for_export(decision_log):
            (folder / filename(decision)).write_text(
                render(decision, format, compat=log4brains), encoding="utf-8"
            )
            count += 1
        self.stdout.write(f"wrote {count} {format} files to {folder}")
