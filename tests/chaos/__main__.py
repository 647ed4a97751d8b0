"""`make chaos` — python -m tests.chaos [--triggers N] [--faults N] [--duration S] [--seed N]

Every option also reads an environment variable (CHAOS_TRIGGERS, CHAOS_FAULTS,
CHAOS_DURATION, CHAOS_SEED, CHAOS_ROUNDS, CHAOS_SETTLE). The run needs PostgreSQL
and `redis-server`: it creates a fresh database (CHAOS_DATABASE_URL, or `chaos_ledger`
on the server of DATABASE_URL, default postgres://postgres@127.0.0.1:5432), migrates
it, and leaves it behind for inspection. Exit status 0 only with nothing lost, nothing
duplicated, no "needs review" flag overwritten and a clean `verify_ledger`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"


def _database_url() -> str:
    url = os.environ.get("CHAOS_DATABASE_URL")
    if url:
        return url
    base = urlparse(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    if not base.scheme.startswith("postgres"):
        base = urlparse(DEFAULT_SERVER)
    return urlunparse(base._replace(path="/chaos_ledger"))


def _recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("chaos"):
        sys.exit(f"chaos: refusing to recreate {name!r}: its name must start with 'chaos'")
    admin = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _arguments() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__.split("\n")[0])
    parser.add_argument("--triggers", type=int, default=int(env("CHAOS_TRIGGERS", 300)))
    parser.add_argument("--faults", type=int, default=int(env("CHAOS_FAULTS", 50)))
    parser.add_argument(
        "--duration",
        type=float,
        default=float(env("CHAOS_DURATION", 300)),
        help="seconds of faults (triggers are defined all through them)",
    )
    parser.add_argument("--seed", type=int, default=int(env("CHAOS_SEED", int(time.time()))))
    parser.add_argument("--rounds", type=int, default=int(env("CHAOS_ROUNDS", 6)))
    parser.add_argument(
        "--settle",
        type=float,
        default=float(env("CHAOS_SETTLE", 420)),
        help="the longest wait for quiescence after the faults",
    )
    parser.add_argument("--logdir", type=Path, default=None)
    parser.add_argument(
        "--slow-first",
        action="store_true",
        help="inject the faults whose recovery is slow (broker, SMTP) before the kills",
    )
    return parser.parse_args()  # fmt: skip


def main() -> int:
    args = _arguments()
    url = _database_url()
    _recreate(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from .harness import Config, run

    config = Config(
        triggers=args.triggers,
        faults=args.faults,
        seconds=args.duration,
        seed=args.seed,
        rounds=args.rounds,
        settle=args.settle,
        logdir=args.logdir,
        slow_first=args.slow_first,
    )
    print(f"chaos: database {urlparse(url).path.lstrip('/')}, seed {config.seed}", flush=True)
    result = run(config)
    print("\n".join(result.faults.lines))
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
