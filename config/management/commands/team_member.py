"""Put a person in a team with a role, or take them out (teams are kept here and by the
demo loader; the admin shows them read-only).

    manage.py team_member payments pat architect      (creates the team "payments" if new)
    manage.py team_member payments pat --remove
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.accounts.models import Membership, Team
from config.accounts.teams import membership_remove, membership_set, team_create


class Command(BaseCommand):
    help = "Set a person's role in a team (architect, stakeholder, auditor), or --remove it."

    def add_arguments(self, parser):
        parser.add_argument("team", help="the team's slug (or name, for a new team)")
        parser.add_argument("username")
        parser.add_argument("role", nargs="?", choices=Membership.Role.values)
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, team: str, username: str, role: str | None, remove: bool, **kw):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        found = Team.objects.filter(slug=team).first() or Team.objects.filter(name=team).first()
        if remove:
            if found is not None:
                membership_remove(actor=None, team=found, user=user)
            self.stdout.write(f"{username} is not in {team}.")
            return
        if role is None:
            raise CommandError("Give the role (architect, stakeholder, auditor) or --remove.")
        try:
            found = found or team_create(actor=None, name=team)
            membership_set(actor=None, team=found, user=user, role=role)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{username} is {role} in {found.name}.")
