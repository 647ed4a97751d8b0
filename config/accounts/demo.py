"""The demo's teams (``seed_demo`` sets them up with the demo users, before any app's
demo runs; adr.demo gives each team its log). Alice is an architect of Identity &
Access only: she reads the Platform Engineering log but does not edit it."""

from __future__ import annotations

from .models import Team
from .teams import membership_set, team_create

# slug → (name, members with their role in the team)
DEMO_TEAMS = {
    "identity-access": (
        "Identity & Access",
        [("alice", "architect"), ("sam", "stakeholder"), ("sofia", "stakeholder")],
    ),
    "platform-engineering": ("Platform Engineering", [("eric", "stakeholder")]),
}


def demo_teams(*, users: dict) -> dict[str, Team]:
    """The demo teams (created once) with the roles of those of their members who are
    in ``users`` (set, idempotent: an unchanged role writes nothing)."""
    teams = {}
    for slug, (name, members) in DEMO_TEAMS.items():
        team = Team.objects.filter(slug=slug).first() or team_create(
            actor=None, name=name, slug=slug
        )
        for username, role in members:
            if username in users:  # a partial set of users (tests)
                membership_set(actor=None, team=team, user=users[username], role=role)
        teams[slug] = team
    return teams
