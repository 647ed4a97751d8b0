"""Check every signature digest, the keyed ledger chain, history and checkpoints;
exit status 0 only when everything holds."""

from django.core.management.base import BaseCommand, CommandError

from risks.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every risk acceptance's content digest and signature chain, replay the "
        "keyed ledger chain against the tables and their history, and compare the chain "
        "heads with the checkpoints; print one line per problem and exit non-zero if there "
        "is any (or, with --require-checkpoint, if no checkpoint could be read)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint-dir",
            default=None,
            help="Where the checkpoints are (default: LEDGER_CHECKPOINT_DIR).",
        )
        parser.add_argument(
            "--require-checkpoint",
            action="store_true",
            help="Fail when no checkpoint can be read (what auditors should run).",
        )

    def handle(self, *args, **options):
        report = verify_ledger(checkpoint_dir=options["checkpoint_dir"])
        for problem in report.problems:
            self.stdout.write(f"PROBLEM {problem}")
        for warning in report.warnings:
            self.stdout.write(f"WARNING {warning}")
        summary = (
            f"{report.acceptances} acceptances, {report.signatures} signatures checked, "
            f"{len(report.problems)} problem(s). {report.events} chain events, "
            f"{report.history_rows} history rows, {report.checkpoint_lines} checkpoint(s) read."
        )
        missing_checkpoint = options["require_checkpoint"] and not report.checkpoint_lines
        if report.problems or missing_checkpoint:
            raise CommandError(f"Ledger verification FAILED: {summary}")
        self.stdout.write(self.style.SUCCESS(f"Ledger verified: {summary}"))
