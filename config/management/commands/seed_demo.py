"""Load the case study (the auth-token pentest finding) as demo data. Idempotent.

The demo passwords are published (README, this file), so the command refuses
production settings unless `--force`, and it never sets the password of an account
that already exists: it creates missing demo users with their demo password, and
leaves existing ones as they are.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from config.accounts.demo import demo_teams
from config.accounts.roles import ALL_ROLES

# (username, printed name, email, role, password, staff). A role that is not an
# organisation-wide one (ALL_ROLES) is held in a team only (adr.demo.TEAMS): Alice is
# an architect of the Identity & Access team, not of the whole organisation.
TEAM_ARCHITECT = "architect of the Identity & Access team"
DEMO_USERS = [
    ("alice", "Alice Moreau", "alice@example.test", TEAM_ARCHITECT, "alice-architect-2026", False),
    ("sam", "Sam Okafor", "sam@example.test", "stakeholder", "sam-risk-owner-2026", False),
    ("sofia", "Sofia Lindqvist", "sofia@example.test", "stakeholder", "sofia-security-2026", False),
    ("eric", "Eric Tanaka", "eric@example.test", "stakeholder", "eric-engineering-2026", False),
    ("audrey", "Audrey Klein", "audrey@example.test", "auditor", "audrey-auditor-2026", False),
    ("admin", "Ada Admin", "admin@example.test", "architect", "admin-ledger-2026", True),
]

# Each app adds its part of the story, in dependency order.
DEMO_MODULES = ("adr.demo", "risks.demo", "triggers.demo", "riskpolicy.demo", "reviews.demo")


class Command(BaseCommand):
    help = "Load the demo case study (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even under production settings.",
        )

    def handle(self, *args, **options):
        if getattr(settings, "LEDGER_PRODUCTION", False) and not options["force"]:
            raise CommandError(
                "These are production settings: the demo would add users whose passwords "
                "are published. Run with --force if you really want demo data here."
            )
        with transaction.atomic():
            users = self._users()
            for name in DEMO_MODULES:
                try:
                    module = import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    continue
                summary = module.seed(users=users, stdout=self.stdout)
                if summary:
                    self.stdout.write(f"  {summary}")
        self.stdout.write(self.style.SUCCESS("Demo data is loaded. Demo logins:"))
        for username, printed, _email, role, password, staff in DEMO_USERS:
            extra = " + staff/admin" if staff else ""
            if username not in self.created and not self.demo_password_works.get(username):
                password = "(existing account: password not changed)"
            self.stdout.write(f"  {username:<8} {password:<24} {role}{extra} ({printed})")

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        self.created: set[str] = set()
        self.demo_password_works: dict[str, bool] = {}
        for username, printed, email, role, password, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": printed,
                    "email": email,
                    "is_staff": staff,
                    "is_superuser": staff,
                    "first_name": printed.split()[0],
                    "last_name": printed.split()[-1],
                },
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                self.created.add(username)
            else:
                # Never reset an existing account's password to a published one.
                self.demo_password_works[username] = user.check_password(password)
            if role in ALL_ROLES:
                user.groups.add(Group.objects.get_or_create(name=role)[0])
            else:  # a team role only: no organisation-wide group (from an older demo)
                user.groups.remove(*Group.objects.filter(name__in=ALL_ROLES))
            users[username] = user
        demo_teams(users=users)  # team roles before any app's demo acts (accounts.demo)
        return users
