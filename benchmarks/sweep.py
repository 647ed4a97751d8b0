"""One sweep over N armed / M due triggers, against a plain-SQL floor that writes the
same rows, in the same database, one after the other.

Setup (not measured): `armed` date triggers named `bench-sweep-…` are added with one
`INSERT … SELECT generate_series` — `due` of them due a minute ago (their date was
yesterday), each with one watcher, the others due in 400 days.

- **sweep**: `triggers.sweep.sweep(batch_size=…)`, what the beat task runs (with its
  email rendering, broker nudges and history rows).
- **floor**: per batch of the same size, one transaction with one SQL statement that
  claims the due triggers (`FOR UPDATE SKIP LOCKED`) and writes what the sweep writes
  for each: the trigger update, one evaluation, one fired event, one outbox row per
  watcher with a subject and text and HTML bodies (formatted by SQL), and a history row
  for each of these — no Python per row, no broker.

Between the two, the rows written are removed and the due triggers reset (raw SQL:
this is the benchmark's own database).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config.notifications.models import Notification
from triggers.models import Evaluation, FiredEvent, Trigger

PREFIX = "bench-sweep-"


@dataclass
class Timing:
    label: str
    seconds: float
    fired: int
    emails: int
    statements: int  # SQL statements sent (the floor: one per batch)
    cpu: float = 0.0  # CPU seconds of the benchmark's own process (not PostgreSQL's)


def _sql(statement: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def setup(*, armed: int, due: int, watcher_id: int) -> None:
    with transaction.atomic():
        _sql(
            """
            INSERT INTO triggers_trigger (uuid, name, description, kind, params, state,
                state_reason, justification, generation, next_check_at, extra_addresses,
                escalation_email, warnings_sent, fired_at, reminders_sent,
                consecutive_failures, probe_alerts, webhook_secret, created_at, deadline_at,
                last_error, version)
            SELECT gen_random_uuid(), %s || n, '', 'date',
                jsonb_build_object('date', (CASE WHEN n <= %s THEN current_date - 1
                    ELSE current_date + 400 END)::text, 'lead_days', '[]'::jsonb),
                'armed', '', '', 1,
                CASE WHEN n <= %s THEN now() - interval '1 minute'
                     ELSE (current_date + 400)::timestamptz END,
                '', '', '[]', NULL, 0, 0, 0, md5(n::text), now(),
                (CASE WHEN n <= %s THEN current_date - 1 ELSE current_date + 400 END)::timestamptz,
                '', 1
            FROM generate_series(1, %s) n
            """,
            [PREFIX, due, due, due, armed],
        )
        _sql(
            "INSERT INTO triggers_trigger_watchers (trigger_id, user_id) "
            "SELECT id, %s FROM triggers_trigger WHERE name LIKE %s AND next_check_at <= now()",
            [watcher_id, PREFIX + "%"],
        )
    _sql("ANALYZE triggers_trigger")


def _ours(column: str = "trigger_id") -> str:
    return f"{column} IN (SELECT id FROM triggers_trigger WHERE name LIKE '{PREFIX}%')"


def reset() -> None:
    """Remove what a run wrote and make the same due triggers due again."""
    with transaction.atomic():
        for table in (
            Notification._meta.db_table,
            Notification.history.model._meta.db_table,
        ):
            _sql(f"DELETE FROM {table} WHERE subject_type = 'triggers.trigger' AND "
                 + _ours("subject_id"))  # fmt: skip
        for model in (Evaluation, FiredEvent):
            _sql(f"DELETE FROM {model.history.model._meta.db_table} WHERE " + _ours())
            _sql(f"DELETE FROM {model._meta.db_table} WHERE " + _ours())
        _sql(f"DELETE FROM {Trigger.history.model._meta.db_table} WHERE " + _ours("id"))
        _sql(
            "UPDATE triggers_trigger SET state = 'armed', state_reason = '', fired_at = NULL, "
            "reminders_sent = 0, last_checked_at = NULL, "
            "next_check_at = now() - interval '1 minute' "
            "WHERE name LIKE %s AND params->>'date' = (current_date - 1)::text",
            [PREFIX + "%"],
        )


def teardown() -> None:
    """Remove the sweep's triggers (when a --reuse run finds them) and empty the
    benchmark's own broker queue of the nudges the sweep sent."""
    if Trigger.objects.filter(name__startswith=PREFIX).exists():
        reset()
        with transaction.atomic():
            _sql("DELETE FROM triggers_trigger_watchers WHERE " + _ours())
            _sql("DELETE FROM triggers_trigger WHERE name LIKE %s", [PREFIX + "%"])
    purge_queue()


def purge_queue() -> int:
    from config.celery_app import app

    with app.connection_for_write() as conn:
        return conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE) or 0


def _history_columns(model) -> list[str]:
    """The columns a model and its history table share (what simple-history copies)."""
    own = {f.column for f in model._meta.concrete_fields}
    hist = model.history.model
    return [
        f.column
        for f in hist._meta.concrete_fields
        if f.column in own and not f.column.startswith("history_")
    ]


def _history(model, source: str, kind: str, reason: str) -> str:
    cols = _history_columns(model)
    table = model.history.model._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(cols)}, history_date, history_change_reason, "
        f"history_type, history_user_id) SELECT {', '.join(cols)}, clock_timestamp(), "
        f"'{reason}', '{kind}', NULL FROM {source}"
    )


def _floor_statement() -> str:
    site = settings.SITE_URL.rstrip("/")
    return f"""
    WITH claimed AS (
        SELECT id FROM triggers_trigger
         WHERE next_check_at <= %(now)s AND state IN ('armed', 'warned', 'fired')
         ORDER BY next_check_at, id LIMIT %(n)s FOR UPDATE SKIP LOCKED
    ), upd AS (
        UPDATE triggers_trigger t
           SET state = 'fired', state_reason = 'The date ' || (t.params->>'date')
                 || ' has arrived.', fired_at = %(now)s, reminders_sent = 0,
               last_checked_at = %(now)s, next_check_at = %(now)s + interval '3 days'
          FROM claimed c WHERE t.id = c.id
        RETURNING t.*
    ), h_upd AS ({_history(Trigger, "upd", "~", "fired")}
    ), ev AS (
        INSERT INTO triggers_evaluation (at, observed, outcome, error, trigger_id)
        SELECT %(now)s, params->>'date', 'fired', '', id FROM upd RETURNING *
    ), h_ev AS ({_history(Evaluation, "ev", "+", "evaluated: fired")}
    ), fe AS (
        INSERT INTO triggers_firedevent (generation, fired_at, reason, details, resolution,
            trigger_id)
        SELECT generation, %(now)s, state_reason,
            jsonb_build_object('date', params->>'date'), '', id FROM upd RETURNING *
    ), h_fe AS ({_history(FiredEvent, "fe", "+", "fired")}
    ), nt AS (
        INSERT INTO notifications_notification (recipient, event, dedupe_key, subject,
            body_text, body_html, state, attempts, next_attempt_at, last_error, created_at,
            subject_type, subject_id, user_id)
        SELECT u.email, 'trigger.fired',
            'trigger:' || upd.id || ':fired:' || fe.id || ':' || u.email,
            'Trigger fired: ' || upd.name,
            format(E'Hello %%s,\\n\\nThe trigger "%%s" (Date) fired on %%s.\\n\\nWhy: %%s\\n\\n'
                   'Please acknowledge it here: {site}/triggers/%%s/\\n', u.username,
                   upd.name, to_char(%(now)s, 'DD Month YYYY, HH24:MI'), fe.reason, upd.id),
            format('<p>Hello %%s,</p><p>The trigger <strong>%%s</strong> (Date) fired on '
                   '%%s.</p><p><strong>Why:</strong> %%s</p><p><a href="{site}/triggers/%%s/">'
                   'Acknowledge the trigger</a></p>', u.username, upd.name,
                   to_char(%(now)s, 'DD Month YYYY, HH24:MI'), fe.reason, upd.id),
            'pending', 0, %(now)s, '', %(now)s, 'triggers.trigger', upd.id, u.id
          FROM upd JOIN fe ON fe.trigger_id = upd.id
          JOIN triggers_trigger_watchers w ON w.trigger_id = upd.id
          JOIN accounts_user u ON u.id = w.user_id
        RETURNING *
    ), h_nt AS ({_history(Notification, "nt", "+", "queued: trigger.fired")})
    SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM nt)
    """


def floor(*, batch_size: int) -> Timing:
    statement = _floor_statement()
    now = timezone.now()
    fired = emails = batches = 0
    cpu = time.process_time()
    started = time.perf_counter()
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, {"now": now, "n": batch_size})
            n_fired, n_emails = cursor.fetchone()
        batches += 1
        if not n_fired:
            break
        fired += n_fired
        emails += n_emails
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timing("plain-SQL floor", elapsed, fired, emails, batches, cpu)


def sweep(*, batch_size: int) -> Timing:
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from config.notifications.tasks import send_notifications
    from triggers.sweep import sweep as run_sweep

    # A worker that has run before has its URLconf loaded (the emails link to pages) and
    # its broker connection open (an empty nudge: the task has nothing to do).
    reverse("triggers:index")
    send_notifications.delay([])
    with CaptureQueriesContext(connection) as queries:
        cpu = time.process_time()
        started = time.perf_counter()
        result = run_sweep(batch_size=batch_size)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    emails = Notification.objects.filter(
        subject_type="triggers.trigger", dedupe_key__contains=":fired:"
    ).count()
    statements = len(queries.captured_queries)
    return Timing("sweep()", elapsed, result.fired, emails, statements, cpu)
