"""Check every signature digest and chain; exit status 0 only when everything holds."""

from django.core.management.base import BaseCommand, CommandError

from risks.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every risk acceptance's content digest and every signature chain; "
        "print one line per problem and exit non-zero if there is any."
    )

    def handle(self, *args, **options):
        report = verify_ledger()
        for problem in report.problems:
            self.stdout.write(f"PROBLEM {problem}")
        summary = (
            f"{report.acceptances} acceptances, {report.signatures} signatures checked, "
            f"{len(report.problems)} problem(s)."
        )
        if report.problems:
            raise CommandError(f"Ledger verification FAILED: {summary}")
        self.stdout.write(self.style.SUCCESS(f"Ledger verified: {summary}"))
