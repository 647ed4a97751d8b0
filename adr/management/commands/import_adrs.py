"""`python manage.py import_adrs PATH --log KEY [--create-log] [--user NAME] [--dry-run]`."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from adr import services
from adr.interop.importer import import_files, read_folder, service_user
from adr.models import DecisionLog
from config.errors import error_text


class Command(BaseCommand):
    help = (
        "Import a folder of ADR files (MADR 2/3/4, log4brains, Nygard/adr-tools) into a log. "
        "Re-running updates the same decisions; prints created/updated/unchanged/problems."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Folder holding NNNN-*.md (or YYYYMMDD-*.md) files.")
        parser.add_argument("--log", required=True, help="Key of the decision log, e.g. AUTH.")
        parser.add_argument("--create-log", action="store_true", help="Create the log if missing.")
        parser.add_argument("--name", default="", help="Name of a log created with --create-log.")
        parser.add_argument(
            "--user",
            default="",
            help="Username of the architect to record as the actor (default: ledger-import).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, then roll back.")
        parser.add_argument(
            "--on-conflict",
            choices=("update", "new", "skip"),
            default="",
            help="What to do with a file whose decision differs in title or source file, or "
            "is linked from a risk acceptance or trigger (default: leave it and report it).",
        )

    def handle(self, *args, path, log, create_log, name, user, dry_run, on_conflict, **options):
        folder = Path(path)
        if not folder.is_dir():
            raise CommandError(f"{path} is not a folder.")
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user {user!r}.") from exc
        else:
            actor = service_user()
        key = log.strip().upper()
        try:
            files = read_folder(folder)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        with transaction.atomic():
            report = self._import(
                folder, path, key, files, actor, create_log, name, dry_run, on_conflict
            )
            if report.imported == 0:
                # A folder with nothing importable creates nothing (not even the log).
                transaction.set_rollback(True)
        for result in report.results:
            style = self.style.SUCCESS if result.action in ("created", "updated") else None
            if result.action in ("skipped", "failed", "conflict"):
                style = self.style.ERROR
            line = result.line
            self.stdout.write(style(line) if style else line)
            for why in result.conflict:
                self.stdout.write(f"          {why}")
        if report.templates:
            self.stdout.write(f"skipped (templates): {', '.join(report.templates)}")
        if report.ignored:
            self.stdout.write(f"ignored (not NNNN-*.md): {', '.join(report.ignored)}")
        self.stdout.write(("DRY RUN, nothing saved: " if dry_run else "") + report.summary())
        if report.imported == 0:
            raise CommandError("Nothing could be imported; nothing was created.")

    def _import(self, folder, path, key, files, actor, create_log, name, dry_run, on_conflict):
        decision_log = DecisionLog.objects.filter(key=key).first()
        if decision_log is None:
            if not create_log:
                raise CommandError(f"No log {key!r}; pass --create-log to create it.")
            try:
                decision_log = services.log_create(
                    actor=actor, key=key, name=name or f"{key} (imported from {folder.name})"
                )
            except ValidationError as exc:
                raise CommandError(f"Cannot create log {key!r}: {error_text(exc)}") from exc
            except PermissionDenied as exc:
                raise CommandError(f"Cannot create log {key!r}: {exc}") from exc
            self.stdout.write(f"created log {decision_log.key}")
        try:
            return import_files(
                files=files,
                log=decision_log,
                actor=actor,
                source_label=str(path),
                dry_run=dry_run,
                choices={"*": on_conflict} if on_conflict else None,
            )
        except PermissionDenied as exc:
            raise CommandError(f"{actor.username}: {exc}") from exc
