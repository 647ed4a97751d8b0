"""Writes through the services, timed in this process: creating a risk acceptance (with
3 mitigations, 2 signatories, 1 linked decision and an expiry date, as a drafted one
usually has), the call the acceptance form makes."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adr.models import Decision
from config.accounts.models import User


def acceptance_creates(architect: User, *, repeat: int) -> tuple[list[float], int]:
    """Seconds per `acceptance_create` call, and the queries of the last call."""
    from risks.services import acceptance_create

    s1, s2 = User.objects.filter(username__in=["bench19", "bench20"]).order_by("username")
    decision = Decision.objects.order_by("pk").first()
    latencies, queries = [], 0
    for i in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            acceptance_create(
                actor=architect,
                title=f"Benchmark acceptance {i}",
                risk_statement="Tokens in localStorage can be read by injected script.",
                owner=s1,
                decisions=[decision],
                mitigations=[
                    {"description": f"Mitigation {k}", "status": "in_place", "owner": architect}
                    for k in range(3)
                ],
                signatories=[
                    {"user": s1, "meaning": "risk owner"},
                    {"user": s2, "meaning": "security"},
                ],
                expires_on=timezone.localdate() + timedelta(days=90),
                scope="The web app",
                residual_risk="Low",
            )
            latencies.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return latencies, queries
