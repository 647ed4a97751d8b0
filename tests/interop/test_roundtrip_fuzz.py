"""Round trip with generated content: what the ledger holds comes back from its files."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adr import services
from adr.interop.importer import decision_snapshot, import_files
from adr.interop.write import decisions_for_export, filename, render
from adr.models import Decision

pytestmark = pytest.mark.django_db
# Bounded for the suite; LEDGER_FUZZ_EXAMPLES=200 digs deeper (random, not derandomized).
EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "15"))

WORDS = ["alpha", "beta", "* item", "- dash", "`code`", "**bold**", "[x](http://e.x)", "1. one"]
WORDS += ["### Sub", "> quote", "Good, because", "Verdict: v", "Status: s", "Date: d", "|a|b|"]
# (An unclosed ``` fence in a field swallows what follows it in the file: not generated.)
WORDS += ["## Head", "#### Deep", "---"]
line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
text = st.lists(st.one_of(line, st.just("")), max_size=6).map("\n".join).map(str.strip)
# Good and bad consequences are arguments, one per item (free text is neutral): a
# heading inside an argument list has no place a file could give it.
items = st.lists(line, max_size=3).map(lambda xs: "\n".join(f"* {x}" for x in xs))
short = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "x-y", "(z)", "1.5"]), min_size=1, max_size=4
).map(" ".join)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 15,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    fields=st.fixed_dictionaries(
        {
            "context": text,
            "drivers": text,
            "outcome_rationale": text,
            "consequences_good": items,
            "consequences_bad": items,
            "consequences_neutral": text,
            "confirmation": text,
            "more_information": text,
            "deciders": short,
        }
    ),
    options=st.lists(
        st.fixed_dictionaries(
            {"title": short, "description": text, "good": line, "bad": line, "verdict": short}
        ),
        max_size=3,
        unique_by=lambda o: o["title"],
    ),
    title=short,
    status=st.sampled_from(["proposed", "accepted", "rejected"]),
    chosen=st.integers(min_value=-1, max_value=2),
)
def test_generated_decisions_round_trip(architect, fields, options, title, status, chosen):
    Decision.objects.all().delete()
    from adr.models import DecisionLog

    DecisionLog.objects.all().delete()
    log = services.log_create(actor=architect, key="GEN", name="g")
    decision = services.decision_create(
        actor=architect, log=log, title=title, status=status, **fields
    )
    for i, option in enumerate(options):
        services.option_save(
            actor=architect, decision=decision, position=i, chosen=(i == chosen), **option
        )
    want = decision_snapshot(decision)
    for fmt in ("madr", "nygard"):
        copy = services.log_create(actor=architect, key=f"C{fmt.upper()}", name="c")
        files = [(filename(d), render(d, fmt).encode()) for d in decisions_for_export(log)]
        import_files(files=files, log=copy, actor=architect)
        got = decision_snapshot(Decision.objects.get(log=copy, number=1))
        # The copy remembers the file it came from; the original was made in the ledger.
        assert got["source_file"] == files[0][0]
        for key in set(want) - {"source_file", "source_meta"}:
            assert got[key] == want[key], (fmt, key, files[0][1].decode())
