"""Teams and memberships: kept by their services (staff only), with history."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from config.accounts.models import Membership, Team
from config.accounts.roles import can_read, team_ids
from config.accounts.teams import membership_set, team_create

pytestmark = pytest.mark.django_db


def test_only_staff_keep_teams(architect, staff):
    with pytest.raises(PermissionDenied):
        team_create(actor=architect, name="Payments")
    team = team_create(actor=staff, name="Payments")
    with pytest.raises(PermissionDenied):
        membership_set(actor=architect, team=team, user=architect, role="architect")


def test_the_command_sets_changes_and_removes_a_role_with_history(outsider):
    assert not can_read(outsider)
    call_command("team_member", "payments", "olga", "stakeholder", stdout=StringIO())
    team = Team.objects.get(slug="payments")
    call_command("team_member", "payments", "olga", "architect", stdout=StringIO())
    fresh = type(outsider).objects.get(pk=outsider.pk)
    assert can_read(fresh) and team_ids(fresh, "architect") == {team.pk}
    call_command("team_member", "payments", "olga", "--remove", stdout=StringIO())
    assert not Membership.objects.exists()
    kinds = list(Membership.history.order_by("history_id").values_list("history_type", "role"))
    assert kinds == [("+", "stakeholder"), ("~", "architect"), ("-", "architect")]
