"""`python manage.py sync_adrs --log KEY [--repo URL --branch B --folder PATH] [--push]`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from adr.interop.gitsync import GitError, log_bind, log_push, log_sync
from adr.interop.importer import service_user
from adr.models import DecisionLog, LogGitSource


class Command(BaseCommand):
    help = (
        "Pull a log's git folder and import the files that changed since the last sync "
        "(history records the commit SHA); with --push, write the log back as a commit on "
        "its push branch. --repo/--branch/--folder bind the log first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--log", required=True, help="Key of the decision log, e.g. AUTH.")
        parser.add_argument("--repo", default="", help="A local path or a URL git can reach.")
        parser.add_argument("--branch", default="", help="Branch to read (default main).")
        parser.add_argument("--folder", default=None, help="Folder of ADR files in the repo.")
        parser.add_argument("--push", action="store_true", help="Also commit and push the log.")
        parser.add_argument("--user", default="", help="Architect recorded as the actor.")

    def handle(self, *args, log, repo, branch, folder, push, user, **options):
        decision_log = DecisionLog.objects.filter(key=log.strip().upper()).first()
        if decision_log is None:
            raise CommandError(f"No log {log!r}.")
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        else:
            actor = service_user()
        if repo or branch or folder is not None:
            if not repo and not LogGitSource.objects.filter(log=decision_log).exists():
                raise CommandError("Bind the log first: --repo URL [--branch B] [--folder F].")
            log_bind(
                log=decision_log,
                repo_url=repo,
                branch=branch,
                folder=folder if folder is not None else "",
            )
        elif not LogGitSource.objects.filter(log=decision_log).exists():
            raise CommandError(f"Log {decision_log.key} is not bound to a git folder; pass --repo.")
        try:
            result = log_sync(log=decision_log, actor=actor)
            if result.sha == result.previous:
                self.stdout.write(f"up to date at {result.sha}")
            else:
                self.stdout.write(f"synced {result.previous or '(first sync)'} → {result.sha}")
                for name in result.changed:
                    self.stdout.write(f"changed   {name}")
                if result.report:
                    for line in result.report.results:
                        self.stdout.write(line.line)
                    self.stdout.write(result.report.summary())
            if push:
                sha = log_push(log=decision_log, actor=actor)
                self.stdout.write(f"pushed {sha}" if sha else "nothing to push")
        except GitError as exc:
            raise CommandError(str(exc)) from exc
