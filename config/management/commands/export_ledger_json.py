"""`python manage.py export_ledger_json [--log KEY …] [--output FILE]`: backup/audit JSON."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.api.ledger_json import dumps, ledger_export


class Command(BaseCommand):
    help = (
        "Export decision logs, risk acceptances and their full history as JSON "
        "(to stdout, or --output FILE). With --log, only those logs and the acceptances "
        "linked to their decisions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--log", action="append", default=[], help="Log key (repeatable).")
        parser.add_argument("--output", "-o", default="", help="File to write (default stdout).")

    def handle(self, *args, log, output, **options):
        keys = [k.strip().upper() for k in log]
        data = ledger_export(log_keys=keys or None)
        # Without a user every log is exported, so a key missing from the export's logs
        # (adr's section, config.api.ledger_json) names no log.
        missing = set(keys) - {entry["key"] for entry in data.get("logs", [])}
        if missing:
            raise CommandError(f"No such log: {', '.join(sorted(missing))}")
        text = dumps(data)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text)
