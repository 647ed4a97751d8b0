"""Time one sweep over many armed triggers, a few of them due, and count its queries.

    python manage.py benchmark_sweep                     # 100,000 armed, 1,000 due
    python manage.py benchmark_sweep --triggers 20000 --due 500 --batch-size 200

Meant for PostgreSQL (set DATABASE_URL); it runs on SQLite too, with a warning. The
benchmark rows are created in bulk (setup is not measured) and removed afterwards.
The sweep is measured twice, with a tenth of the due triggers and with all of them,
to show that the query count grows with the number of *batches*, not of triggers.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.notifications.models import Notification
from triggers.models import Evaluation, FiredEvent, Trigger, local_today, start_of_day
from triggers.sweep import sweep

PREFIX = "bench-sweep-"


class Command(BaseCommand):
    help = "Benchmark one trigger sweep: N armed triggers, M of them due (time, query count)."

    def add_arguments(self, parser):
        parser.add_argument("--triggers", type=int, default=100_000)
        parser.add_argument("--due", type=int, default=1_000)
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--keep", action="store_true", help="Keep the rows afterwards.")

    def handle(self, *args, triggers: int, due: int, batch_size: int, keep: bool, **options):
        if due > triggers or due < 1:
            raise CommandError("--due must be between 1 and --triggers.")
        if connection.vendor != "postgresql":
            self.stderr.write("Warning: not PostgreSQL; numbers are not the benchmark's.")
        if Trigger.objects.filter(name__startswith=PREFIX).exists():
            self._cleanup()
        watcher = self._watcher()
        runs = sorted({max(1, due // 10), due})
        rows = []
        for n_due in runs:
            self._setup(triggers, n_due, watcher)
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                result = sweep(batch_size=batch_size)
                elapsed = time.perf_counter() - started
            fired = FiredEvent.objects.filter(trigger__name__startswith=PREFIX).count()
            emails = Notification.objects.filter(dedupe_key__contains=":fired:").count()
            rows.append((n_due, result.batches, elapsed, len(queries.captured_queries), fired))
            self.stdout.write(
                f"{triggers:>7} armed, {n_due:>5} due: fired {fired}, emails {emails}, "
                f"batches {result.batches}, {len(queries.captured_queries)} queries, "
                f"{elapsed:.2f} s ({connection.vendor})"
            )
            if not keep or n_due != runs[-1]:
                self._cleanup()
        if len(rows) == 2:
            (_, b1, _, q1, _), (_, b2, _, q2, _) = rows
            per_batch = (q2 - q1) / max(b2 - b1, 1)
            self.stdout.write(
                f"query count grows by {per_batch:.1f} per extra batch of {batch_size}, "
                f"i.e. {per_batch / batch_size:.2f} per due trigger"
            )

    def _watcher(self):
        user, _ = get_user_model().objects.get_or_create(
            username=f"{PREFIX}watcher", defaults={"email": "bench-watcher@example.invalid"}
        )
        return user

    def _setup(self, total: int, n_due: int, watcher) -> None:
        now = timezone.now()
        today = local_today(now)
        past, future = today - timedelta(days=1), today + timedelta(days=400)
        with transaction.atomic():
            batch = []
            for i in range(total):
                is_due = i < n_due
                day = past if is_due else future
                at = start_of_day(day)
                batch.append(
                    Trigger(
                        name=f"{PREFIX}{i}",
                        kind=Trigger.Kind.DATE,
                        params={"date": day.isoformat(), "lead_days": []},
                        next_check_at=now - timedelta(minutes=1) if is_due else at,
                        deadline_at=at,
                    )
                )
                if len(batch) == 5_000:
                    Trigger.objects.bulk_create(batch)
                    batch = []
            Trigger.objects.bulk_create(batch)
            due_ids = Trigger.objects.filter(
                name__startswith=PREFIX, next_check_at__lte=now
            ).values_list("pk", flat=True)
            Through = Trigger.watchers.through
            Through.objects.bulk_create(
                [Through(trigger_id=pk, user_id=watcher.pk) for pk in due_ids], batch_size=5_000
            )

    def _cleanup(self) -> None:
        """Raw deletes (benchmark rows only): the ORM's cascade would write 100,000
        'deleted' history rows, which is not what we want to leave behind."""
        ids = Trigger.objects.filter(name__startswith=PREFIX).values("pk")
        with transaction.atomic():
            for model, lookup in (
                (Notification, {"subject_type": "triggers.trigger", "subject_id__in": ids}),
                (
                    Notification.history.model,
                    {"subject_type": "triggers.trigger", "subject_id__in": ids},
                ),  # fmt: skip
                (Evaluation.history.model, {"trigger_id__in": ids}),
                (Evaluation, {"trigger_id__in": ids}),
                (FiredEvent.history.model, {"trigger_id__in": ids}),
                (FiredEvent, {"trigger_id__in": ids}),
                (Trigger.watchers.through, {"trigger_id__in": ids}),
                (Trigger.decisions.through, {"trigger_id__in": ids}),
                (Trigger.history.model, {"name__startswith": PREFIX}),
            ):
                model.objects.filter(**lookup)._raw_delete(connection.alias)
            Trigger.objects.filter(name__startswith=PREFIX)._raw_delete(connection.alias)
