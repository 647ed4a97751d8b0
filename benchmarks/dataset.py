"""The benchmark's dataset, built in bulk with `INSERT … SELECT … generate_series` (no
service, no history rows: as if imported), in a database of its own.

Sizes (`Size`): decisions spread over 10 logs, one in five of them "rich" (4 options
with arguments, 5 criteria and a 5×4 matrix of scored cells), risk acceptances with 3
mitigations, 2 required signatories and (when accepted) 2 signatures, and date triggers
linked to a decision (one in ten to an acceptance), each with one watcher. No trigger
is due: the sweep part adds its own (benchmarks/sweep.py).

Search documents are written by the database's own triggers (migrations
adr/0002_search, risks/0003_search, triggers/0004_search). The statement triggers that
reset a decision's document when options or tags are inserted are paused during the
load and the documents computed once at the end, so that each is computed once and not
three times.

`build(size, start=…)` appends rows numbered after `start`, so one database can be
measured at 20 rows and then grown to 50,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import connection, transaction

from config.accounts.models import User

LOGS = 10
USERS = 20
PASSWORD = "bench-password-not-secret"
WORDS = (
    "token session cookie gateway cache queue stream latency budget tenant shard replica "
    "schema migration rollout canary feature flag audit compliance encryption rotation "
    "secret vault proxy edge lambda container cluster region failover backup retention "
    "index query cursor batch webhook retry backoff throttle quota metric alert dashboard "
    "frontend backend monolith service contract version deprecation legacy adapter facade "
    "cost surface reversibility attack boundary consent privacy residency latency storage "
    "object bucket ledger journal snapshot event sourcing projection consumer producer "
    "partition offset idempotent exactly once delivery ordering clock drift timezone"
).split()
# Rarer words, so that a search finds a realistic few: "kafka" is in 1 decision in 50.
RARE = {"kafka": 50, "postgres": 20, "graphql": 200}


@dataclass(frozen=True)
class Size:
    decisions: int
    rich_every: int  # one decision in `rich_every` has options and a matrix
    acceptances: int
    triggers: int

    def label(self) -> str:
        return (
            f"{self.decisions:,} decisions ({self.decisions // self.rich_every:,} with 4 "
            f"options and a 5×4 matrix), {self.acceptances:,} acceptances, "
            f"{self.triggers:,} triggers"
        )


SMALL = Size(decisions=20, rich_every=5, acceptances=20, triggers=20)
FULL = Size(decisions=50_000, rich_every=5, acceptances=2_000, triggers=20_000)


def _text(seed: str, words: int) -> str:
    """SQL for `words` pseudo-random words from WORDS, varied by the SQL expression `seed`."""
    vocab = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    return (
        f"(SELECT string_agg(({vocab})[1 + (({seed}) * 7919 + k * 104729) % {len(WORDS)}], ' ')"
        f" FROM generate_series(1, {words}) k)"
    )


def _rare(seed: str) -> str:
    """SQL adding the rare words to some rows (by `seed` modulo their rarity)."""
    parts = [
        f"CASE WHEN ({seed}) % {every} = 3 THEN ' {w}' ELSE '' END" for w, every in RARE.items()
    ]
    return " || ".join(parts)


def ensure_people() -> User:
    """The benchmark's users (architects and stakeholders); returns the one who browses."""
    architect = Group.objects.get_or_create(name="architect")[0]
    stakeholder = Group.objects.get_or_create(name="stakeholder")[0]
    users = []
    for n in range(1, USERS + 1):
        user, created = User.objects.get_or_create(
            username=f"bench{n}",
            defaults={"email": f"bench{n}@example.invalid", "display_name": f"Bench User {n}"},
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(architect if n <= USERS // 2 else stakeholder)
        users.append(user)
    return users[0]


def _execute(sql: str, params: dict | None = None) -> None:
    """Run `sql` with `%(name)s` replaced by the (trusted, int or word list) `params`.

    Inlined rather than bound so that the SQL can use `%` as the modulo operator."""
    for name, value in (params or {}).items():
        if isinstance(value, list | tuple):
            value = "ARRAY[" + ",".join(f"'{w}'" for w in value) + "]::text[]"
        sql = sql.replace(f"%({name})s", str(int(value)) if isinstance(value, int) else value)
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _paused_search_touch():
    return [
        ("adr_option", "adr_option_search_insert"),
        ("adr_decision_tags", "adr_decision_tags_search_insert"),
    ]


def build(size: Size, *, start: Size | None = None, vacuum: bool = True) -> None:
    """Append rows so that the database holds `size` (it held `start` before).

    `vacuum=False` (inside a transaction, as in a test): ANALYZE only."""
    s = start or Size(0, size.rich_every, 0, 0)
    first_user = User.objects.filter(username="bench1").values_list("pk", flat=True).get()
    p = {
        "d0": s.decisions,
        "d1": size.decisions,
        "a0": s.acceptances,
        "a1": size.acceptances,
        "t0": s.triggers,
        "t1": size.triggers,
        "u0": first_user,
        "users": USERS,
        "rich": size.rich_every,
    }
    with transaction.atomic():
        # Foreign keys checked per statement: a table with deferred checks pending
        # cannot have its triggers switched back on.
        _execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in _paused_search_touch():
            _execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        _logs()
        _decisions(p)
        _acceptances(p)
        _triggers(p)
        for table, trigger in _paused_search_touch():
            _execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        # Recompute the documents of the new decisions once, with options and tags in.
        _execute(
            "UPDATE adr_decision SET search_document = NULL WHERE id > %(d0)s AND id <= %(d1)s",
            p,
        )
        for table in ("adr_decision", "risks_riskacceptance", "triggers_trigger"):
            _execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        _execute(
            "UPDATE adr_decisionlog l SET last_number = "
            "(SELECT coalesce(max(number), 0) FROM adr_decision d WHERE d.log_id = l.id)"
        )
    # As autovacuum would leave it: statistics, and a visibility map (index-only scans).
    _execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def _logs() -> None:
    _execute(
        "INSERT INTO adr_decisionlog (id, key, name, description, last_number, created_at, "
        "version, private) "
        f"SELECT n, 'LOG' || n, 'System ' || n, 'Decisions of system ' || n, 0, now(), 1, false "
        f"FROM generate_series(1, {LOGS}) n ON CONFLICT (id) DO NOTHING"
    )
    _execute(
        "SELECT setval(pg_get_serial_sequence('adr_decisionlog', 'id'), "
        "(SELECT max(id) FROM adr_decisionlog))"
    )
    _execute(
        "INSERT INTO adr_tag (name) SELECT 'tag-' || w FROM unnest(%(w)s::text[]) w "
        "ON CONFLICT (name) DO NOTHING",
        {"w": WORDS[:30]},
    )


def _decisions(p: dict) -> None:
    body = _text("i", 60)
    _execute(
        f"""
        INSERT INTO adr_decision (id, log_id, number, title, status, decided_on, deciders,
            consulted, informed, context, drivers, outcome_rationale, consequences_good,
            consequences_bad, confirmation, more_information, revisit_by, needs_review,
            needs_review_reason, source_path, created_at, updated_at, context_html,
            outcome_rationale_html, consequences_good_html, consequences_bad_html,
            confirmation_html, more_information_html, created_by_id, version,
            consequences_neutral, consequences_neutral_html, source_file, source_meta)
        SELECT i, 1 + i % {LOGS}, 1 + i / {LOGS},
            initcap({_text("i + 1", 4)}) || CASE WHEN i % 250 = 3 THEN ' for kafka' ELSE '' END,
            (ARRAY['proposed','accepted','accepted','accepted','deferred','rejected'])[1 + i % 6],
            current_date - (i % 900), 'Bench User 1, Bench User 2', '', '',
            {body} || {_rare("i")}, {_text("i + 2", 12)}, {_text("i + 3", 30)},
            {_text("i + 4", 15)}, {_text("i + 5", 15)}, '', '',
            CASE WHEN i % 6 = 4 THEN current_date + 90 END, false, '', '',
            now() - i * interval '1 minute', now() - i * interval '1 minute',
            '<p>' || {body} || '</p>', '', '', '', '', '', %(u0)s, 1, '', '', '', '{{}}'
        FROM generate_series(%(d0)s + 1, %(d1)s) i
        """,
        p,
    )
    _execute(
        "INSERT INTO adr_decision_tags (decision_id, tag_id) "
        "SELECT i, t.id FROM generate_series(%(d0)s + 1, %(d1)s) i "
        "JOIN adr_tag t ON t.name IN ('tag-' || (%(w)s::text[])[1 + i % 30], "
        "'tag-' || (%(w)s::text[])[1 + (i / 30) % 30])",
        {**p, "w": WORDS[:30]},
    )
    rich = f"FROM generate_series(%(d0)s + 1, %(d1)s) i WHERE i % {p['rich']} = 0"
    _execute(
        f"""
        INSERT INTO adr_option (decision_id, position, title, description, good, neutral, bad,
            findings, verdict, chosen, description_html, findings_html)
        SELECT i, k, 'Option ' || k || ': ' || {_text("i * 4 + k", 3)},
            {_text("i * 4 + k", 40)}, {_text("i + k", 8)} || {_rare("i + k")},
            {_text("i + k + 1", 8)}, {_text("i + k + 2", 8)}, {_text("i + k + 3", 20)},
            'Fine for now', k = 2, '<p>…</p>', '<p>…</p>'
        {rich.replace("WHERE", "CROSS JOIN generate_series(1, 4) k WHERE")}
        """,
        p,
    )
    _execute(
        f"""
        INSERT INTO adr_criterion (decision_id, position, name, description, weight)
        SELECT i, k, (ARRAY['frontend impact','backend impact','cost surface',
            'new attack surface','reversibility'])[k], '', 1
        {rich.replace("WHERE", "CROSS JOIN generate_series(1, 5) k WHERE")}
        """,
        p,
    )
    _execute(
        """
        INSERT INTO adr_matrixcell (criterion_id, option_id, text, score)
        SELECT c.id, o.id, 'note ' || c.position || '×' || o.position,
            (c.position + o.position) % 6
        FROM adr_criterion c JOIN adr_option o ON o.decision_id = c.decision_id
        WHERE c.decision_id > %(d0)s AND c.decision_id <= %(d1)s
        """,
        p,
    )


def _acceptances(p: dict) -> None:
    _execute(
        f"""
        INSERT INTO risks_riskacceptance (id, title, finding_source, finding_reference,
            risk_statement, likelihood, impact, scope, residual_risk, expires_on, state,
            state_reason, state_changed_at, submitted_at, created_at, risk_statement_html,
            scope_html, residual_risk_html, created_by_id, owner_id, submitted_by_id,
            signing_round, version)
        SELECT a, 'Accept ' || {_text("a + 7", 4)}, 'pentest', 'PT-' || a,
            {_text("a + 8", 50)}, 1 + a % 5, 1 + (a / 5) % 5, {_text("a + 9", 10)},
            {_text("a + 10", 10)}, current_date + 30 + a % 300,
            (ARRAY['draft','awaiting','accepted','accepted'])[1 + a % 4], '', now(),
            now(), now() - a * interval '1 hour', '<p>…</p>', '', '', %(u0)s,
            %(u0)s + a % %(users)s, %(u0)s, 1, 1
        FROM generate_series(%(a0)s + 1, %(a1)s) a
        """,
        p,
    )
    _execute(
        f"""
        INSERT INTO risks_mitigation (acceptance_id, position, description, status, owner_id)
        SELECT a, k, {_text("a * 3 + k", 12)}, 'in_place', %(u0)s + (a + k) % %(users)s
        FROM generate_series(%(a0)s + 1, %(a1)s) a CROSS JOIN generate_series(1, 3) k
        """,
        p,
    )
    _execute(
        """
        INSERT INTO risks_requiredsignatory (acceptance_id, position, user_id, meaning)
        SELECT a, k, %(u0)s + (a + k * 7) % %(users)s,
            (ARRAY['risk owner', 'security'])[k]
        FROM generate_series(%(a0)s + 1, %(a1)s) a CROSS JOIN generate_series(1, 2) k
        """,
        p,
    )
    _execute(
        """
        INSERT INTO risks_signature (acceptance_id, signatory_id, user_id, printed_name,
            meaning, verdict, reason, signed_at, auth_method, content_digest, signing_round,
            previous_hash, signature_hash, void, void_reason)
        SELECT s.acceptance_id, s.id, s.user_id, 'Bench User', s.meaning, 'approve', '',
            now(), 'password re-entered', md5(s.acceptance_id::text) || md5('x'), 1, '',
            md5(s.id::text) || md5(s.acceptance_id::text), false, ''
        FROM risks_requiredsignatory s JOIN risks_riskacceptance r ON r.id = s.acceptance_id
        WHERE r.state = 'accepted' AND r.id > %(a0)s AND r.id <= %(a1)s
        """,
        p,
    )
    _execute(
        "INSERT INTO risks_riskacceptance_decisions (riskacceptance_id, decision_id) "
        "SELECT a, 1 + (a * 37) % %(d1)s FROM generate_series(%(a0)s + 1, %(a1)s) a",
        p,
    )


def _triggers(p: dict) -> None:
    _execute(
        f"""
        INSERT INTO triggers_trigger (id, uuid, name, description, kind, params, state,
            state_reason, justification, generation, next_check_at, extra_addresses,
            escalation_email, warnings_sent, fired_at, reminders_sent, consecutive_failures,
            probe_alerts, webhook_secret, created_at, created_by_id, risk_acceptance_id,
            deadline_at, last_error, version)
        SELECT t, gen_random_uuid(), 'Revisit ' || {_text("t + 11", 3)},
            {_text("t + 12", 20)}, 'date',
            jsonb_build_object('date', (current_date + 30 + t % 700)::text,
                'lead_days', '[]'::jsonb),
            'armed', '', '', 1, (current_date + 30 + t % 700)::timestamptz, '', '', '[]',
            NULL, 0, 0, 0, md5(t::text), now() - t * interval '1 minute', %(u0)s,
            CASE WHEN t % 10 = 0 AND %(a1)s > 0 THEN 1 + t % %(a1)s END,
            (current_date + 30 + t % 700)::timestamptz, '', 1
        FROM generate_series(%(t0)s + 1, %(t1)s) t
        """,
        p,
    )
    _execute(
        "INSERT INTO triggers_trigger_decisions (trigger_id, decision_id) "
        "SELECT t, 1 + (t * 13) % %(d1)s FROM generate_series(%(t0)s + 1, %(t1)s) t",
        p,
    )
    _execute(
        "INSERT INTO triggers_trigger_watchers (trigger_id, user_id) "
        "SELECT t, %(u0)s + t % %(users)s FROM generate_series(%(t0)s + 1, %(t1)s) t",
        p,
    )
