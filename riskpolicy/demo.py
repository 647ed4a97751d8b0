"""Demo risk policy (called by ``seed_demo`` after the risks and triggers demos, so the
case study's acceptance, already awaiting signatures, is not re-checked): four rating
bands, each with the signing capacity it needs, and the demo people who hold them.
Idempotent: the policy is written only if there is none; a capacity already held is
left alone (riskpolicy.services.capacity_grant writes nothing then)."""

from __future__ import annotations

from .bands import BandRow
from .models import RiskBand
from .services import capacity_grant, policy_save

# (label, lowest score, highest score, capacities, longest expiry in months, review every days)
BANDS = [
    ("Low", 1, 4, ["Risk owner"], 12, 180),
    ("Medium", 5, 9, ["Risk owner"], 12, 90),
    ("High", 10, 19, ["Security lead"], 6, 60),
    ("Very high", 20, 25, ["Security lead", "CISO"], 3, 30),
]
GRANTS = [("sam", "Risk owner"), ("eric", "Risk owner"), ("sofia", "Security lead")]


def seed(*, users: dict, stdout=None) -> str:
    staff = users.get("admin")
    if staff is None:  # the policy is staff's to set
        return ""
    written = not RiskBand.objects.exists()
    if written:
        rows = [
            BandRow(label, low, high, capacities, expiry, every)
            for label, low, high, capacities, expiry, every in BANDS
        ]
        policy_save(actor=staff, rows=rows, reason="demo risk policy")
    for username, capacity in GRANTS:
        if username in users:
            capacity_grant(actor=staff, username=username, capacity=capacity)
    return f"risk policy: {len(BANDS)} bands ({'new' if written else 'kept'})"
