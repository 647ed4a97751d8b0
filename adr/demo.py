"""Demo content of the decision log: the auth-token case study and a few neighbours.

The decisions are MADR files in `adr/demo_data/<LOG KEY>/` (matrix and sensitivity
notes included), loaded through the ADR importer, the same path a team's own files
take; so the demo also proves the importer. What a file cannot say is done here, in
the ledger: the case study is deferred with a revisit-by date relative to today.

Called by `python manage.py seed_demo` with the demo users. Idempotent: a log is
matched by its key and a decision by (log, title); anything that already exists is
left exactly as it is (even if someone edited it in the UI since), so a second run
writes nothing, not even a history row.

The case study is retold in our own words from the article in `seeds/`: a pentest
found that browser JavaScript can read the Cognito tokens; four fixes were weighed
against six constraints; the team chose a conscious deferral with foundation work,
backed by a signed risk acceptance and migration triggers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from config.accounts.demo import demo_teams
from config.accounts.models import Team
from config.clock import ledger_today

from . import services
from .interop.importer import import_files
from .interop.parse import parse_adr
from .models import Decision, DecisionLog

DATA = Path(__file__).resolve().parent / "demo_data"

AUTH_KEY = "AUTH"
PLAT_KEY = "PLAT"
# Other demo modules (risks, triggers) find the case study by this title.
CASE_STUDY_TITLE = "Keep browser-readable Cognito tokens for now: deferral with foundation work"
REVISIT_AFTER_DAYS = 150
IMPORTED = ("created", "updated", "unchanged")

# In import order: PLAT links to the case study in AUTH, so AUTH comes first.
LOGS = [
    (
        AUTH_KEY,
        "Platform Auth",
        "How the Next.js frontends, Cognito and the API Gateway authenticate users and "
        "calls. Owned by the platform architecture group.",
    ),
    (
        PLAT_KEY,
        "Platform Engineering",
        "Hosting, build and runtime choices shared by every frontend and service.",
    ),
]


# Two teams own the two logs (config.accounts.demo). Alice is an architect of Identity &
# Access only: she reads PLAT but does not edit it (adr.access), so its files are loaded
# by the staff account. (key → the owning team's slug, who imports the files.)
TEAMS = {AUTH_KEY: ("identity-access", "alice"), PLAT_KEY: ("platform-engineering", "admin")}


def demo_files(key: str) -> list[tuple[str, bytes]]:
    """The demo's MADR files of log `key`, as (name, content), in number order."""
    return [(path.name, path.read_bytes()) for path in sorted((DATA / key).glob("*.md"))]


def _log(actor, key: str, name: str, description: str, *, team: Team) -> tuple[DecisionLog, bool]:
    log = DecisionLog.objects.filter(key=key).first()
    if log is not None:
        if log.team_id is None:  # a demo loaded before logs had teams
            log = services.log_update(
                actor=actor, log=log, name=log.name, description=log.description, team=team
            )
        return log, False
    log = services.log_create(actor=actor, key=key, name=name, description=description, team=team)
    return log, True


def _missing(log: DecisionLog, files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The files whose decision (by title) the log does not have yet."""
    titles = set(log.decisions.values_list("title", flat=True))
    return [(name, data) for name, data in files if parse_adr(name, data).title not in titles]


def seed(*, users: dict, stdout=None) -> str:
    """Create the demo logs and decisions that do not exist yet; return a summary line."""
    created: list[Decision] = []
    created_logs = total = 0
    teams = demo_teams(users=users)
    for key, name, description in LOGS:
        slug, writer = TEAMS[key]
        team = teams[slug]
        # Without the staff account (tests pass only alice), alice does it all.
        staff = users.get("admin", users["alice"])
        actor = users.get(writer, staff)
        log, new = _log(staff, key, name, description, team=team)
        created_logs += new
        files = demo_files(key)
        total += len(files)
        report = import_files(
            files=_missing(log, files), log=log, actor=actor, change_reason="demo data"
        )
        failed = [r.line for r in report.results if r.action not in IMPORTED]
        if failed:
            raise RuntimeError(f"the demo's {key} files did not import: {failed}")
        numbers = [
            r.number for r in report.results if r.action == "created" and r.number is not None
        ]
        created += Decision.objects.filter(log=log, number__in=numbers).order_by("number")
    case = next((d for d in created if d.title == CASE_STUDY_TITLE), None)
    if case is not None:
        services.decision_change_status(
            actor=users["alice"],
            decision=case,
            status=Decision.Status.DEFERRED,
            revisit_by=ledger_today() + timedelta(days=REVISIT_AFTER_DAYS),
            reason="deferred with a risk acceptance and migration triggers",
        )
    if stdout is not None:
        for decision in created:
            stdout.write(f"  + {decision.reference} {decision.title}")
    return (
        f"decision log: {len(LOGS)} logs ({created_logs} new), "
        f"{total} demo decisions ({len(created)} new)"
    )
