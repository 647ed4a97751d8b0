"""The bounded chaos run, in every `make test`: a few faults of each kind, under 3 minutes.

Real processes throughout: gunicorn, two Celery workers and beat on a Redis of the run's
own, an SMTP sink on loopback. `make chaos` runs the long version (docs/reliability.md).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.chaos.faults import KINDS
from tests.chaos.harness import Config, run
from tests.conftest import REQUIRE_SERVICES, require_postgres

pytestmark = [
    pytest.mark.integration,
    pytest.mark.chaos,
    pytest.mark.django_db(transaction=True),
]


def _require_redis_server() -> None:
    if shutil.which("redis-server") is None:
        reason = "the chaos run starts its own redis-server (apt-get install redis-server)"
        if REQUIRE_SERVICES:
            pytest.fail(f"required service missing: {reason}", pytrace=False)
        pytest.skip(reason)


def test_under_kills_restarts_and_a_misbehaving_mail_server_no_alert_is_lost_or_sent_twice():
    require_postgres()
    _require_redis_server()
    config = Config(
        triggers=60,
        faults=len(KINDS),
        seconds=45,
        seed=int(os.environ.get("CHAOS_SEED", "8")),
        rounds=4,
        settle=180,
        slow_first=True,
    )
    result = run(config)
    summary = result.summary()
    print(summary)
    # The faults happened, and while there was work to disturb.
    assert set(result.faults.injected) == set(KINDS), summary
    assert result.faults.web_requests_cut >= 1, summary
    assert result.starts["redis"] >= 2 and result.starts["beat"] >= 2, summary
    assert result.starts["worker1"] + result.starts["worker2"] >= 3, summary
    assert sum(result.smtp.values()) >= 1, summary
    assert result.web.get("sign: HTTP ok", 0) >= 3, summary
    assert not result.errors, summary
    # Every due trigger fired once; every alert and every other email arrived at most once.
    tally = result.tally
    assert tally.settled, summary
    assert tally.due_triggers == 60 and tally.fired_events == 60, summary
    assert tally.alert_rows_expected == 180, summary
    assert tally.total_lost == 0, summary
    assert tally.total_duplicated == 0, summary
    assert tally.flags_overwritten == 0, summary
    assert tally.verify_ok, summary
