"""The benchmark's report: Markdown tables on stdout (and in a file with --output), the
same tables docs/benchmarks.md holds. Progress lines go to stderr."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from config.search import CANDIDATES

from .http_load import Result, percentile


class Report:
    def __init__(self, path: str | None):
        self.path = path
        self.lines: list[str] = []

    def progress(self, message: str) -> None:
        print(f"[benchmark] {message}", file=sys.stderr, flush=True)

    def emit(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)
            self.lines.append(line)
        if self.path:
            with open(self.path, "w") as fh:
                fh.write("\n".join(self.lines) + "\n")

    def header(self, *, size, args, machine: dict) -> None:
        self.emit(
            f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"- dataset: {size.label()}",
            f"- machine: {machine['cpus']} CPUs, {machine['system']}; load average at the "
            f"start {machine['load']} (1, 5, 15 min)",
            f"- PostgreSQL {machine['postgresql']} on the same host, Python "
            f"{machine['python']}, Django {machine['django']}",
            f"- server: gunicorn, {args.workers} sync workers, over loopback; load: "
            f"{args.concurrency} client threads in the benchmark's own process "
            f"(http.client), {args.seconds:.0f} s per URL in {args.rounds} interleaved rounds",
            "",
        )

    def query_counts(self, n_small: int, small: dict, n_full: int, full: dict) -> None:
        self.emit(
            "### Queries per page",
            "",
            f"| page | at {n_small} rows | at {n_full:,} rows |",
            "|---|---:|---:|",
        )
        for name, count in full.items():
            self.emit(f"| {name} | {small.get(name, '—')} | {count} |")
        self.emit("")

    def throughput(self, results: list[Result], pages: list, args) -> None:
        by_name = {r.name: r for r in results}
        against = {name: bare for name, _path, bare in pages}
        self.emit(
            "### Throughput (requests/s) and latency, side by side",
            "",
            "| URL | req/s | p50 ms | p99 ms | KB | vs bare view | ratio | vs constant |",
            "|---|---:|---:|---:|---:|---|---:|---:|",
        )
        constant = by_name["bare: constant"].rps
        for r in results:
            bare = against.get(r.name)
            ratio = f"{r.rps / by_name[bare].rps:.2f}×" if bare else ""
            errors = f" ({r.errors} errors)" if r.errors else ""
            self.emit(
                f"| {r.name} `{r.path}`{errors} | {r.rps:.1f} | {r.pct(50):.1f} | "
                f"{r.pct(99):.1f} | {r.size / 1024:.1f} | {bare or ''} | {ratio} | "
                f"{r.rps / constant:.2f}× |"
            )
        self.emit("")

    def search(self, label: str, latencies: list[float]) -> None:
        self.emit(
            f"### Search latency: {label}",
            "",
            f"p50 **{percentile(latencies, 50) * 1000:.1f} ms**, p95 "
            f"**{percentile(latencies, 95) * 1000:.1f} ms**, max "
            f"{max(latencies) * 1000:.1f} ms ({len(latencies)} searches)",
            "",
        )

    def search_queries(self, found: dict, page: dict[str, list[float]] | None) -> None:
        everything = [t for _matches, _listed, times in found.values() for t in times]
        self.search("the query in process (one page of 50 + the count)", everything)
        self.emit(
            "| query | matches | listed | query p50 ms | query max ms | page p50 ms |",
            "|---|---:|---:|---:|---:|---:|",
        )
        for query, (matches, listed, times) in found.items():
            page_p50 = f"{percentile(page[query], 50) * 1000:.1f}" if page else "—"
            shown = f"> {CANDIDATES}" if listed > CANDIDATES else f"{listed:,}"
            self.emit(
                f"| `{query}` | {matches:,} | {shown} | {percentile(times, 50) * 1000:.1f} | "
                f"{max(times) * 1000:.1f} | {page_p50} |"
            )
        self.emit("")

    def writes(self, latencies: list[float], queries: int) -> None:
        self.emit(
            "### Writes: `risks.services.acceptance_create` (3 mitigations, 2 signatories, "
            "1 decision, expiry date)",
            "",
            f"p50 **{percentile(latencies, 50) * 1000:.0f} ms**, max "
            f"{max(latencies) * 1000:.0f} ms over {len(latencies)} calls; {queries} queries each",
            "",
        )

    def imports(self, run: dict) -> None:
        per = run["seconds"] * 1000 / max(run["files"], 1)
        self.emit(
            f"### Import: {run['files']:,} generated MADR files "
            f"({run['kb']:,.0f} KB, 4 options each) through `import_files`",
            "",
            f"**{run['seconds']:.1f} s** ({per:.0f} ms per file, "
            f"{run['files'] / run['seconds']:.1f} files/s); {run['imported']:,} imported, "
            f"{run['problems']} problems; {run['queries']:,} queries "
            f"({run['queries'] / max(run['files'], 1):.0f} per file)",
            "",
        )

    def sweep(self, *, armed: int, due: int, batch: int, floor, swept) -> None:
        self.emit(
            f"### One sweep: {armed:,} armed triggers, {due:,} due (batches of {batch})",
            "",
            "| run | seconds | fired | emails | SQL statements | ms per fired trigger "
            "| CPU s of the benchmark process |",
            "|---|---:|---:|---:|---:|---:|---:|",
        )
        for t in (floor, swept):
            per = t.seconds * 1000 / max(t.fired, 1)
            self.emit(
                f"| {t.label} | {t.seconds:.2f} | {t.fired:,} | {t.emails:,} | "
                f"{t.statements:,} | {per:.2f} | {t.cpu:.2f} |"
            )
        self.emit("", f"sweep / floor: **{swept.seconds / floor.seconds:.1f}×**", "")

    def footer(self, *, seconds: float, load_after) -> None:
        self.emit(
            f"Whole run: {seconds / 60:.1f} min; load average at the end "
            + " ".join(f"{x:.1f}" for x in load_after)
            + "."
        )
