"""The case study's triggers (called by `manage.py seed_demo`; idempotent).

- the legacy-frontend sunset date (a migration trigger of the deferral);
- the gateway team's RBAC initiative and the trigger that fires when it is done;
- a metric on the legacy frontend's daily users (< 50), polling the JSON endpoint this
  app serves in demo mode (/demo/legacy-frontend-usage.json);
- the acceptance's expiry trigger is created by the risks hook with the acceptance.
Links go to the AUTH log's deferred decision and the case study's acceptance when the
adr and risks demos created them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from adr.models import Decision
from config.clock import ledger_today
from config.errors import error_messages

from . import services
from .models import Initiative, Trigger

SUNSET = "Legacy frontends sunset"
RBAC = "API gateway RBAC"
RBAC_TRIGGER = "RBAC initiative done"
METRIC = "Legacy frontend daily users below 50"


def _deferral() -> Decision | None:
    deferred = Decision.objects.filter(log__key="AUTH", status=Decision.Status.DEFERRED)
    return (
        deferred.filter(title__icontains="token").order_by("-number").first()
        or deferred.order_by("-number").first()
    )


def _acceptance():
    try:
        from risks.demo import TITLE
        from risks.models import RiskAcceptance
    except ImportError:
        return None
    return RiskAcceptance.objects.filter(title=TITLE).first()


def seed(*, users: dict, stdout=None) -> str:
    alice = users["alice"]
    watchers = [users[name] for name in ("alice", "sam", "sofia") if name in users]
    today = ledger_today()
    decision = _deferral()
    acceptance = _acceptance()
    links = {
        "decisions": [decision] if decision else [],
        "risk_acceptance": acceptance,
        "watchers": watchers,
        "escalation_contact": users.get("sam"),
    }
    made = []
    if not Trigger.objects.filter(name=SUNSET).exists():
        services.trigger_create(
            actor=alice,
            name=SUNSET,
            kind=Trigger.Kind.DATE,
            params={"date": (today + timedelta(days=150)).isoformat()},
            description="The day the legacy (non-Next.js) frontends are switched off.",
            justification="Legacy frontends share the token cookies and cannot change; once "
            "they are gone, HttpOnly cookies no longer break anything.",
            **links,
        )
        made.append("sunset date")
    rbac = Initiative.objects.filter(name=RBAC).first()
    if rbac is None:
        rbac = services.initiative_create(
            actor=alice,
            name=RBAC,
            team="API gateway team",
            description="Role-based access control in the gateway authorizer, so that the "
            "backend no longer needs the token from browser JavaScript.",
            target_date=today + timedelta(days=120),
            status=Initiative.Status.IN_PROGRESS,
        )
        made.append("RBAC initiative")
    if not Trigger.objects.filter(name=RBAC_TRIGGER).exists():
        services.trigger_create(
            actor=alice,
            name=RBAC_TRIGGER,
            kind=Trigger.Kind.INITIATIVE,
            initiative=rbac,
            description="When the gateway team marks RBAC done, the deferral must be revisited.",
            justification="The fix needs the gateway authorizer; building it twice is waste.",
            **links,
        )
        made.append("RBAC trigger")
    if not Trigger.objects.filter(name=METRIC).exists():
        url = settings.SITE_URL.rstrip("/") + "/demo/legacy-frontend-usage.json"
        params = {
            "url": url,
            "path": "legacy_frontend.daily_users",
            "op": "<",
            "threshold": 50,
            "interval_minutes": 60,
        }
        try:
            services.trigger_create(
                actor=alice,
                name=METRIC,
                kind=Trigger.Kind.METRIC,
                params=params,
                description="Usage of the legacy frontends, from the demo endpoint.",
                justification="Few enough users left means the sunset can come early.",
                **links,
            )
            made.append("usage metric")
        except ValidationError as error:
            # e.g. production settings without the demo host on the allow-list.
            made.append(f"no usage metric ({'; '.join(error_messages(error))})")
    expiry = (
        Trigger.objects.filter(risk_acceptance=acceptance, kind=Trigger.Kind.EXPIRY).first()
        if acceptance
        else None
    )
    parts = ", ".join(made) if made else "already there"
    linked = []
    if decision:
        linked.append(decision.reference)
    if acceptance:
        linked.append("the case study's acceptance")
    if expiry:
        linked.append(f"expiry on {expiry.fire_day:%Y-%m-%d}")
    suffix = f" (linked: {', '.join(linked)})" if linked else ""
    return f"triggers: {parts}{suffix}"
