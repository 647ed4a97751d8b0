"""Demo content of the decision log: the auth-token case study and a few neighbours.

Called by `python manage.py seed_demo` with the demo users. Idempotent: a log is
matched by its key and a decision by (log, title); anything that already exists
is left exactly as it is (even if someone edited it in the UI since), so a second
run writes nothing, not even a history row.

The case study is retold in our own words from the article in `seeds/`: a
pentest found that browser JavaScript can read the Cognito tokens; four fixes were
weighed against six constraints; the team chose a conscious deferral with
foundation work, backed by a signed risk acceptance and migration triggers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from config.clock import ledger_today

from . import services
from .models import Decision, DecisionLog, DecisionRelation

S = Decision.Status
REL = DecisionRelation.Kind

AUTH_KEY = "AUTH"
PLAT_KEY = "PLAT"
# Other demo modules (risks, triggers) find the case study by this title.
CASE_STUDY_TITLE = "Keep browser-readable Cognito tokens for now: deferral with foundation work"
REVISIT_AFTER_DAYS = 150


def _unwrap(text: str) -> str:
    """Join hard-wrapped lines: Markdown is rendered with nl2br, so a newline is a <br>."""
    out: list[str] = []
    for line in text.strip().splitlines():
        stripped = line.strip()
        if out and out[-1] and stripped and not stripped.startswith(("* ", "- ", "#", "|")):
            out[-1] += " " + stripped
        else:
            out.append(stripped)
    return "\n".join(out) + "\n"


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


@dataclass
class OptionSpec:
    title: str
    description: str
    good: list[str]
    neutral: list[str]
    bad: list[str]
    findings: str
    verdict: str
    chosen: bool = False


@dataclass
class DecisionSpec:
    log: str
    title: str
    status: str
    tags: list[str]
    fields: dict
    options: list[OptionSpec] = field(default_factory=list)
    # criterion name, description, weight, [(cell text, score) per option, in option order]
    criteria: list[tuple[str, str, Decimal, list[tuple[str, int]]]] = field(default_factory=list)
    # condition, consequence, index of the option it favours (or None)
    notes: list[tuple[str, str, int | None]] = field(default_factory=list)


# --- The case study ------------------------------------------------------------------

CASE_CONTEXT = _unwrap(
    """\
An external penetration test of the customer-facing stack reported that the
Cognito **ID, access and refresh tokens** live in cookies *without* the
`HttpOnly` flag. Any script running in the page can read them from
`document.cookie`, so a single XSS bug anywhere in our frontends would let an
attacker copy them out. A stolen refresh token keeps working until it expires,
which in practice means long-lived access.

Today the browser reads the ID token and sends it as `Authorization: Bearer …`
straight to the API Gateway. That path is cheap — no proxy in between — and the
whole weakness sits in that one step where client code reads the cookie.

The textbook answer ("make the cookies HttpOnly") is correct in shape but says
nothing about the hard parts: how browser code authenticates its calls
afterwards, how the backend gets its credential, who refreshes tokens the client
can no longer see, which new attack surface opens (CSRF), and what it costs at
our traffic. We walked each fix down to that level before choosing.
"""
)

CASE_DRIVERS = "\n".join(
    [
        "Frontend: Next.js App Router, heavy use of Server Components, mixed server/client "
        "data fetching.",
        "Downstream contract: 100+ backend services all expect Authorization: Bearer <id "
        "token>, checked by the gateway's JWT authorizer; changing it means changing all of "
        "them at once.",
        "Hosting cost: the Next.js apps run on Vercel, which bills functions by wall-clock "
        "time, including time spent waiting on a slow backend.",
        "Traffic shape: about 65–70% of API calls come straight from the browser; only "
        "30–35% happen during server rendering.",
        "Token size: Cognito JWTs are large (ID tokens often 1–2 KB); browsers cap a cookie "
        "at 4 KB and many gateways cap request headers at 8 KB (HTTP 431).",
        "Library maturity: Amplify v6 offers HttpOnly cookies for Next.js only through an "
        "experimental server-side feature, and only together with Cognito Managed Login.",
    ]
)

CASE_OUTCOME = _unwrap(
    """\
We keep the current cookie storage **for now** and treat that as a decision, not
an omission:

* the exposure is written down in a risk acceptance signed by the risk owner,
  security and engineering leads, with an expiry date;
* the XSS surface is reduced in the meantime (strict CSP, short token lifetimes,
  dependency hygiene);
* the migration has named triggers — the sunset of the legacy frontends that
  cannot follow a new auth flow, and the end of the gateway team's RBAC work;
* the foundation work is done now, so that the eventual switch is a
  configuration change rather than a re-architecture.

The matrix agrees, but the deciding factor was timing and ownership: the cleanest
active fix (option 3) lives in another team's component, and that team is busy
until its RBAC initiative lands.
"""
)

CASE_GOOD = _unwrap(
    """\
* No disruption to 100+ services or to the Vercel bill.
* The upgrade to Amplify v6 and Managed Login turns the future fix into a flag.
* The analysis of the three active fixes is kept, so nobody has to redo it.
* Stakeholders see a signed artefact with conditions, not a vague promise.
"""
)

CASE_BAD = _unwrap(
    """\
* The pentest finding stays open until a trigger fires: an XSS bug could still
  leak tokens in the meantime.
* We depend on an experimental Amplify feature becoming usable.
* The deferral needs active care — if nobody watches the triggers it quietly
  turns into procrastination.
"""
)

CASE_CONFIRMATION = _unwrap(
    """\
* The risk acceptance for this finding is signed and has not expired.
* The CSP report endpoint shows no script-src violations on the customer apps.
* Both triggers are armed in Decision Ledger, and the decision is revisited no
  later than its revisit-by date.
* When a trigger fires: the experimental HttpOnly mode is switched on in a
  staging environment first, and the pentest finding is retested.
"""
)

CASE_MORE = _unwrap(
    """\
The gateway-authorizer path (option 3) with a dedicated refresh route is the
state we expect to move to once the RBAC initiative is done; it is logged
separately as a proposal. Vendor guidance was useful but changed when we
clarified our constraints — treat it as an input, not a conclusion.
"""
)

CASE_OPTIONS = [
    OptionSpec(
        title="Next.js BFF proxy",
        description=(
            "Browser code stops calling the backend. Every call goes to a Next.js route "
            "handler or Server Action, which reads the tokens from HttpOnly cookies and "
            "forwards the request with the `Authorization: Bearer` header."
        ),
        good=[
            "Tokens never reach browser JavaScript",
            "Downstream contract and the gateway's JWT authorizer stay as they are",
            "Well documented, the default in the Next.js ecosystem (Auth.js works this way)",
        ],
        neutral=[
            "Recommended by the vendor's support team in its first answer",
        ],
        bad=[
            "The 65–70% of calls that bypass Vercel today would all run through it",
            "Vercel bills the waiting time: a slow backend is paid for twice",
            "Vercel sits on the critical path of every API call (structural lock-in)",
            "Cookies are attached automatically, so CSRF has to be handled",
        ],
        findings=(
            "Running the numbers on our traffic: proxying browser calls roughly doubles "
            "the function volume, and a backend incident with 30-second timeouts turns "
            "into a billing incident. Moving away from Vercel later would become a "
            "re-architecture instead of a repackaging."
        ),
        verdict=(
            "A sound default for many systems, but not for ours: the cost surface and the "
            "hosting lock-in rule it out."
        ),
    ),
    OptionSpec(
        title="Token broker with a session database",
        description=(
            "The browser holds only an opaque HttpOnly session cookie. An AWS Lambda in "
            "front of the backend looks the session up in a database, fetches the Cognito "
            "token stored there and forwards the call with the Bearer header."
        ),
        good=[
            "Full session control: revoke a session, track devices, idle timeouts",
            "Several identity providers without growing the cookie",
            "No extra Vercel cost; downstream contract preserved",
        ],
        neutral=[
            "A stateless variant (session encrypted into the cookie) avoids the database "
            "but brings back cookie size and key rotation",
        ],
        bad=[
            "We would own and operate an auth substrate: database, session code, on-call",
            "A database lookup on every API call; it becomes the availability ceiling",
            "The choice of store (DynamoDB, ElastiCache, Aurora) is hard to undo",
            "One more hop to trace when an incident has to be localised quickly",
        ],
        findings=(
            "The cost here is stateful and ownership-shaped rather than operational: a new "
            "system of record with its own lifecycle, failure modes that are hard to reason "
            "about, and security fixes we would have to apply ourselves instead of getting "
            "them from the vendor."
        ),
        verdict=(
            "Worth it only when session control is a product need (multi-IdP, fine-grained "
            "revocation, device tracking). Here it would be lasting debt to solve a hosting "
            "cost problem."
        ),
    ),
    OptionSpec(
        title="API Gateway Lambda authorizer reading cookies",
        description=(
            "No BFF: the gateway gets a custom Lambda authorizer that takes the JWT from an "
            "HttpOnly cookie (sent with `credentials: 'include'`), validates it against "
            "Cognito's JWKS and hands the Bearer header on to the services."
        ),
        good=[
            "No proxy layer, no session store, no extra Vercel cost",
            "Services keep their header contract; the gateway injects the token",
            "Authorizer results are cached by the gateway, so validation cost amortises",
        ],
        neutral=[
            "Refresh needs a home: a dedicated refresh route called on 401 is the cleanest",
        ],
        bad=[
            "ID + access + refresh tokens can exceed the 4 KB cookie and 8 KB header limits",
            "Refresh moves into the auth infrastructure, where bugs show as random 401s",
            "Cookie credentials reopen CSRF (SameSite plus anti-CSRF tokens needed)",
            "The authorizer belongs to another team, busy with its RBAC initiative",
        ],
        findings=(
            "Naively putting all three Cognito tokens into cookies is a known way to get "
            "HTTP 431 from the gateway before any code runs. Of the refresh variants — in "
            "the authorizer, in middleware, or a separate route with de-duplicated retries — "
            "only the last has clean seams. The blocker is organisational: starting now "
            "would derail the gateway team's roadmap."
        ),
        verdict=(
            "The cleanest active fix when we can change the gateway and the owning team has "
            "room. It becomes our target state once the RBAC work lands."
        ),
    ),
    OptionSpec(
        title="Conscious deferral with foundation work",
        description=(
            "Keep the current cookies for now, harden against XSS, write and sign a risk "
            "acceptance, define the triggers for the migration, and do the groundwork that "
            "makes the later migration cheap."
        ),
        good=[
            "No disruption to the 100+ services or the hosting bill",
            "Moving to Amplify v6 (ssr) with Managed Login turns the later fix into a flag",
            "The whole analysis is kept for whoever picks this up next",
            "Reviewable: explicit triggers and a revisit-by date",
        ],
        neutral=[
            "Most of the work is invisible from outside",
        ],
        bad=[
            "The finding stays open until a trigger fires",
            "Relies on the mitigations (CSP, short-lived tokens) holding in the meantime",
        ],
        findings=(
            "Foundation work done: moved from the old Amplify with self-hosted login pages "
            "(which can never use HttpOnly cookies) to Amplify v6 with `ssr: true` and "
            "Cognito Managed Login; retired the custom login UI. Triggers: primarily the "
            "sunset of the legacy frontends (until they are gone, fixing the new apps alone "
            "does not remove the exposure), secondarily the completion of the gateway "
            "team's RBAC initiative."
        ),
        verdict=(
            "Right for this constraint stack and these visible triggers. With another stack "
            "(not on Vercel, fewer services, no alignment point ahead) any of options 1–3 "
            "could win."
        ),
        chosen=True,
    ),
]

# Scores: 0 (worst) … 5 (best) from our point of view, so higher is better everywhere.
CASE_CRITERIA = [
    (
        "Frontend impact",
        "How much the Next.js apps have to change.",
        Decimal("1"),
        [
            ("High: every browser API call re-routed through Next.js", 1),
            ("Medium: calls go to the broker instead of the gateway", 3),
            ("Medium: the token refresh flow has to be rebuilt", 2),
            ("Low: an auth library upgrade, no change in call paths", 4),
        ],
    ),
    (
        "Backend impact",
        "Changes to the gateway and the 100+ services.",
        Decimal("1"),
        [
            ("None: services still receive the Bearer header", 5),
            ("Low: the gateway stays untouched", 4),
            ("Medium: a new Lambda authorizer and gateway configuration", 3),
            ("None", 5),
        ],
    ),
    (
        "Cost surface",
        "New running costs and how they scale with traffic and incidents.",
        Decimal("1.5"),
        [
            ("Vercel compute roughly doubles for proxied traffic", 1),
            ("Database on the hot path plus new infrastructure to run", 2),
            ("Modest: Lambda invocations, amortised by the authorizer cache", 4),
            ("None", 5),
        ],
    ),
    (
        "New attack surface",
        "What a fix opens up while it closes the XSS token theft.",
        Decimal("1.5"),
        [
            ("CSRF, because cookies are attached automatically", 3),
            ("CSRF plus a new failure mode in the broker", 2),
            ("CSRF, cookie size limits and new refresh failure modes", 1),
            ("Nothing new; the known exposure stays open (deferred)", 3),
        ],
    ),
    (
        "Reversibility",
        "How easily we can back out or change course later.",
        Decimal("1"),
        [
            ("Medium", 3),
            ("Low: the session store choice is sticky", 1),
            ("High", 4),
            ("High", 5),
        ],
    ),
]

CASE_NOTES = [
    (
        "Not on Vercel?",
        "The BFF proxy's cost problem mostly disappears and it becomes the strong default again.",
        0,
    ),
    (
        "We don't control the API Gateway?",
        "The cookie-reading authorizer is off the table.",
        None,
    ),
    (
        "Session revocation becomes a product requirement?",
        "The token broker turns from over-engineering into the necessary choice.",
        1,
    ),
    (
        "No legacy frontend depends on the current flow?",
        "The deferral loses its main trigger: pick one of the real fixes now.",
        None,
    ),
]


def _case_study() -> DecisionSpec:
    return DecisionSpec(
        log=AUTH_KEY,
        title=CASE_STUDY_TITLE,
        status=S.DEFERRED,
        tags=["security", "auth", "cognito", "nextjs", "pentest"],
        fields={
            "deciders": "Alice Moreau (architect), Eric Tanaka (engineering lead)",
            "consulted": "Sofia Lindqvist (security), the API gateway team, vendor support",
            "informed": "Sam Okafor (risk owner), frontend teams",
            "context": CASE_CONTEXT,
            "drivers": CASE_DRIVERS,
            "outcome_rationale": CASE_OUTCOME,
            "consequences_good": CASE_GOOD,
            "consequences_bad": CASE_BAD,
            "confirmation": CASE_CONFIRMATION,
            "more_information": CASE_MORE,
        },
        options=CASE_OPTIONS,
        criteria=CASE_CRITERIA,
        notes=CASE_NOTES,
    )


# --- Neighbours in other statuses ----------------------------------------------------


def _simple(log: str, title: str, status: str, tags: list[str], **fields) -> DecisionSpec:
    return DecisionSpec(log=log, title=title, status=status, tags=tags, fields=fields)


def _neighbours() -> list[DecisionSpec]:
    return [
        _simple(
            AUTH_KEY,
            "Enforce a nonce-based Content Security Policy on every customer frontend",
            S.ACCEPTED,
            ["security", "nextjs", "mitigation"],
            deciders="Alice Moreau, Sofia Lindqvist",
            context=(
                "While browser code can still read the auth tokens, an injected script is "
                "the main way to steal them. A strict CSP makes such an injection much "
                "harder to exploit."
            ),
            drivers="Mitigate the open token exposure\nNo inline scripts in our own code",
            outcome_rationale=(
                "Every Next.js app sends `script-src 'self' 'nonce-…'`, `object-src 'none'` "
                "and `base-uri 'none'`; violations are reported and reviewed weekly."
            ),
            confirmation="CSP reports stay empty for a week before each release.",
        ),
        _simple(
            AUTH_KEY,
            "Move auth tokens from cookies to localStorage",
            S.REJECTED,
            ["security", "auth"],
            deciders="Alice Moreau",
            context="Suggested as a quick way to stop sending tokens on every request.",
            outcome_rationale=(
                "Rejected: localStorage is just as readable by injected scripts, so the "
                "pentest finding would stay exactly as it is."
            ),
        ),
        _simple(
            AUTH_KEY,
            "Authenticate browser calls with a cookie-reading gateway authorizer and a "
            "refresh route",
            S.PROPOSED,
            ["security", "auth", "api-gateway"],
            deciders="Alice Moreau, API gateway team",
            context=(
                "The target state once the gateway team's RBAC initiative is finished: a "
                "Lambda authorizer takes the token from an HttpOnly cookie, and a dedicated "
                "route refreshes tokens when the client gets a 401 (one refresh at a time)."
            ),
            drivers=(
                "Keep the Bearer contract of the services\nStay under cookie and header limits"
            ),
        ),
        _simple(
            PLAT_KEY,
            "Self-hosted login pages on Amplify v5",
            S.ACCEPTED,
            ["auth", "frontend"],
            deciders="Frontend guild",
            context="Our own login screens, styled per brand, calling Cognito through Amplify.",
            outcome_rationale="Full control over the login UX at the time.",
        ),
        _simple(
            PLAT_KEY,
            "Amplify v6 with server-side rendering and Cognito Managed Login",
            S.ACCEPTED,
            ["auth", "frontend", "cognito"],
            deciders="Alice Moreau, Eric Tanaka",
            context=(
                "The self-hosted login pages can never use HttpOnly cookies. Amplify v6 with "
                "`ssr: true` and Managed Login can (experimentally), and removes our custom "
                "login UI."
            ),
            outcome_rationale=(
                "Foundation work for the deferred token fix: the later switch becomes a "
                "configuration flag."
            ),
        ),
        _simple(
            PLAT_KEY,
            "Host the Next.js frontends on Vercel",
            S.ACCEPTED,
            ["hosting", "frontend", "cost"],
            deciders="Eric Tanaka",
            context="Preview deployments and zero-ops hosting for a dozen frontends.",
            consequences_bad="Functions are billed by wall-clock time, waiting included.",
        ),
        _simple(
            PLAT_KEY,
            "Pin all frontends to Node.js 16",
            S.ACCEPTED,
            ["frontend", "runtime"],
            deciders="Frontend guild",
            context="One runtime version across the build farm.",
        ),
    ]


# Applied after creation: (source title, target title, kind, note).
RELATIONS = [
    (
        "Amplify v6 with server-side rendering and Cognito Managed Login",
        "Self-hosted login pages on Amplify v5",
        REL.SUPERSEDES,
        "Self-hosted pages cannot support HttpOnly cookies.",
    ),
    (
        "Enforce a nonce-based Content Security Policy on every customer frontend",
        CASE_STUDY_TITLE,
        REL.RELATES_TO,
        "Mitigation while the deferral holds.",
    ),
    (
        "Authenticate browser calls with a cookie-reading gateway authorizer and a refresh route",
        CASE_STUDY_TITLE,
        REL.AMENDS,
        "The target state once the RBAC initiative lands.",
    ),
    (
        "Amplify v6 with server-side rendering and Cognito Managed Login",
        CASE_STUDY_TITLE,
        REL.RELATES_TO,
        "Foundation work of the deferral.",
    ),
]
# Applied after creation: (title, status, reason).
LATER_STATUS = [
    (
        "Pin all frontends to Node.js 16",
        S.DEPRECATED,
        "Node.js 16 reached end of life; each app now follows the active LTS.",
    ),
]


# --- Seeding -------------------------------------------------------------------------


def _log(actor, key: str, name: str, description: str) -> tuple[DecisionLog, bool]:
    log = DecisionLog.objects.filter(key=key).first()
    if log is not None:
        return log, False
    return services.log_create(actor=actor, key=key, name=name, description=description), True


def _create(actor, log: DecisionLog, spec: DecisionSpec) -> Decision:
    decision = services.decision_create(
        actor=actor,
        log=log,
        title=spec.title,
        tags=spec.tags,
        reason="demo data",
        **spec.fields,
    )
    options = [
        services.option_save(
            actor=actor,
            decision=decision,
            position=i,
            title=o.title,
            description=o.description,
            good="\n".join(o.good),
            neutral="\n".join(o.neutral),
            bad="\n".join(o.bad),
            findings=o.findings,
            verdict=o.verdict,
            chosen=o.chosen,
        )
        for i, o in enumerate(spec.options, start=1)
    ]
    for i, (name, description, weight, cells) in enumerate(spec.criteria, start=1):
        criterion = services.criterion_save(
            actor=actor,
            decision=decision,
            position=i,
            name=name,
            description=description,
            weight=weight,
        )
        for option, (text, score) in zip(options, cells, strict=True):
            services.cell_set(
                actor=actor, criterion=criterion, option=option, text=text, score=score
            )
    for i, (condition, consequence, favours) in enumerate(spec.notes, start=1):
        services.sensitivity_note_save(
            actor=actor,
            decision=decision,
            position=i,
            condition=condition,
            consequence=consequence,
            favours=options[favours] if favours is not None else None,
        )
    if spec.status == S.DEFERRED:
        decision = services.decision_change_status(
            actor=actor,
            decision=decision,
            status=S.DEFERRED,
            revisit_by=ledger_today() + timedelta(days=REVISIT_AFTER_DAYS),
            reason="deferred with a risk acceptance and migration triggers",
        )
    elif spec.status != S.PROPOSED:
        decision = services.decision_change_status(
            actor=actor, decision=decision, status=spec.status, reason="demo data"
        )
    return decision


def seed(*, users: dict, stdout=None) -> str:
    """Create the demo logs and decisions that do not exist yet; return a summary line."""
    actor = users["alice"]
    logs, created_logs = {}, 0
    for key, name, description in LOGS:
        logs[key], created = _log(actor, key, name, description)
        created_logs += created
    specs = [_case_study(), *_neighbours()]
    decisions, created = {}, []
    for spec in specs:
        log = logs[spec.log]
        decision = Decision.objects.filter(log=log, title=spec.title).first()
        if decision is None:
            decision = _create(actor, log, spec)
            created.append(decision)
        decisions[spec.title] = decision
    fresh = {d.pk for d in created}
    for source, target, kind, note in RELATIONS:
        src, dst = decisions[source], decisions[target]
        # Only relate decisions created in this run: a rerun must not undo later edits.
        if src.pk in fresh or dst.pk in fresh:
            services.relation_add(actor=actor, source=src, target=dst, kind=kind, note=note)
    for title, status, reason in LATER_STATUS:
        if decisions[title].pk in fresh:
            services.decision_change_status(
                actor=actor, decision=decisions[title], status=status, reason=reason
            )
    if stdout is not None and created:
        for decision in created:
            stdout.write(f"  + {decision.reference} {decision.title}")
    return (
        f"decision log: {len(logs)} logs ({created_logs} new), "
        f"{len(decisions)} demo decisions ({len(created)} new)"
    )
