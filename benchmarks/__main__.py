"""`python -m benchmarks` (`make benchmark`): build the dataset, measure, print the report.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledger python -m benchmarks
    python -m benchmarks --armed 100000 --due 1000      # a smaller sweep
    python -m benchmarks --reuse --skip-sweep            # pages only, dataset kept

It creates (dropping it first) the database `bench_<name of DATABASE_URL's database>`
on the same server, so the database in DATABASE_URL is never touched. See
docs/benchmarks.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from urllib.parse import urlsplit, urlunsplit


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--database", help="benchmark database name (default: bench_<DATABASE_URL's name>)")
    add("--reuse", action="store_true", help="keep a database already built at full size")
    add("--decisions", type=int, default=50_000)
    add("--acceptances", type=int, default=2_000)
    add("--triggers", type=int, default=20_000)
    add("--armed", type=int, default=1_000_000, help="armed triggers in the sweep")
    add("--due", type=int, default=10_000, help="of which due")
    add("--batch-size", type=int, default=200)
    add("--seconds", type=float, default=9.0, help="load per URL (split in rounds)")
    add("--rounds", type=int, default=3)
    add("--concurrency", type=int, default=4, help="client threads")
    add("--workers", type=int, default=2, help="gunicorn sync workers")
    add("--port", type=int, default=8765)
    add("--skip-http", action="store_true")
    add("--skip-sweep", action="store_true")
    add("--sweep-only", action="store_true", help="no page dataset: only the sweep vs floor")
    add("--sweep-rounds", type=int, default=1, help="floor, then sweep, this many times")
    add("--import-files", type=int, default=1000, help="MADR files the importer imports")
    add("--skip-import", action="store_true")
    add("--output", help="also write the report to this file")
    return parser.parse_args(argv)


def prepare_database(name: str | None, *, reuse: bool) -> tuple[str, bool]:
    """Create the benchmark database; point DATABASE_URL at it. (url, already built?)"""
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("make benchmark needs DATABASE_URL=postgres://… (it measures PostgreSQL).")
    name = name or "bench_" + (parts.path.lstrip("/") or "ledger")
    bench_url = urlunsplit(parts._replace(path="/" + name))
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    return bench_url, bool(exists and reuse)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    url, reused = prepare_database(args.database, reuse=args.reuse)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.benchmark"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from . import dataset, imports, pages, report, writes
    from . import http_load as load
    from . import sweep as sweep_bench

    out = report.Report(args.output)
    size = dataset.Size(args.decisions, 5, args.acceptances, args.triggers)
    log = out.progress
    log(f"database {urlsplit(url).path.lstrip('/')} ({'reused' if reused else 'new'})")
    call_command("migrate", verbosity=0)
    user = dataset.ensure_people()
    if args.sweep_only:
        sweep_bench.teardown()
        out.header(size=dataset.Size(0, 5, 0, 0), args=args, machine=machine(connection))
        run_sweep(args, out, user, existing=0)
        out.footer(seconds=time.monotonic() - started, load_after=os.getloadavg())
        return
    small_counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM adr_decision")
        present = cursor.fetchone()[0]
    if present != size.decisions:
        if present:
            sys.exit(f"the database holds {present} decisions, not {size.decisions}: drop --reuse")
        t0 = time.monotonic()
        dataset.build(dataset.SMALL)
        small_counts = pages.query_counts(user)
        dataset.build(size, start=dataset.SMALL)
        log(f"built {size.label()} in {time.monotonic() - t0:.0f} s")
    sweep_bench.teardown()  # what a run interrupted before (with --reuse)
    full_counts = pages.query_counts(user)

    out.header(size=size, args=args, machine=machine(connection))
    out.query_counts(dataset.SMALL.decisions, small_counts, size.decisions, full_counts)

    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    if not args.skip_http:
        env = {"DATABASE_URL": url}
        with load.gunicorn(port=args.port, workers=args.workers, env=env):
            log(f"gunicorn up; {len(pages.targets())} URLs × {args.seconds:.0f} s")
            results = load.measure(
                args.port, pages.targets(), cookie, seconds=args.seconds,
                rounds=args.rounds, concurrency=args.concurrency,
            )  # fmt: skip
            page_search = load.sequential_latencies(
                args.port, pages.search_paths(), cookie, repeat=5
            )
        out.throughput(results, pages.PAGES, args)
        everything = [t for times in page_search.values() for t in times]
        out.search("the decision list page over HTTP, one request at a time", everything)
    else:
        page_search = None
    found = pages.search_selector_latencies(user, repeat=5)
    out.search_queries(found, page_search)
    out.writes(*writes.acceptance_creates(user, repeat=10))
    if not args.skip_import:
        log(f"importing {args.import_files:,} MADR files")
        out.imports(imports.import_run(user, count=args.import_files))

    if not args.skip_sweep:
        run_sweep(args, out, user, existing=size.triggers)
    out.footer(seconds=time.monotonic() - started, load_after=os.getloadavg())


def run_sweep(args, out, user, *, existing: int) -> None:
    """Add the sweep's triggers, then time the floor and the sweep over the same due rows
    (`--sweep-rounds` times, alternating, so a change in the machine's load falls on both)."""
    from . import sweep as sweep_bench

    t0 = time.monotonic()
    extra = max(args.armed - existing, args.due)
    sweep_bench.setup(armed=extra, due=args.due, watcher_id=user.pk)
    out.progress(f"sweep setup: {extra:,} triggers added in {time.monotonic() - t0:.0f} s")
    for round_ in range(max(args.sweep_rounds, 1)):
        if round_:
            sweep_bench.reset()
        floor = sweep_bench.floor(batch_size=args.batch_size)
        sweep_bench.reset()
        swept = sweep_bench.sweep(batch_size=args.batch_size)
        out.sweep(armed=extra + existing, due=args.due, batch=args.batch_size,
                  floor=floor, swept=swept)  # fmt: skip
        # The sweep's triggers stay (the next run drops the database, --reuse removes them).
        sweep_bench.purge_queue()


def machine(connection) -> dict[str, str]:
    import django

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpus": str(os.cpu_count()),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
    }


if __name__ == "__main__":
    main(sys.argv[1:])
