"""No test waits by sleeping (house rule): waits on another process go through
tests/support/wait.py (poll / wait_until) and races through tests/support/race.py.

Read with `ast` from every module under tests/: a call of `time.sleep`, `asyncio.sleep`
or a bare `sleep` imported from either is a finding, unless allow-listed below with why
it is not a wait.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# path under tests/ -> (number of sleep calls, why they are not waits)
ALLOWED: dict[str, tuple[int, str]] = {
    "chaos/sink.py": (2, "the injected fault: an SMTP server that stalls before answering"),
    "triggers/test_netguard.py": (1, "a simulated endpoint trickling bytes at its own pace"),
    "triggers/test_sweep_isolation.py": (1, "a simulated endpoint trickling a body slowly"),
}


def sleep_calls(source: str) -> list[int]:
    """Line numbers of sleep calls in `source`."""
    tree = ast.parse(source)
    bare = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio")
        for alias in node.names
        if alias.name == "sleep"
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "sleep"
            and isinstance(func.value, ast.Name)
            and func.value.id in ("time", "asyncio")
        ) or (isinstance(func, ast.Name) and func.id in bare):
            lines.append(node.lineno)
    return lines


def test_no_test_sleeps_to_wait():
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        lines = sleep_calls(path.read_text(encoding="utf-8"))
        if lines:
            found[path.relative_to(TESTS).as_posix()] = len(lines)
    assert found == {name: count for name, (count, _why) in ALLOWED.items()}


def test_the_check_sees_every_spelling_of_sleep():
    # Written with a stand-in name, so that this sample is not itself a sleep in tests/
    # to a reader of the source text; the check reads it with the real name.
    source = """
import time, asyncio
from time import SLEEP as nap
time.SLEEP(1)
nap(1)
async def f():
    await asyncio.SLEEP(1)
event.wait(1)
""".replace("SLEEP", "sleep")
    assert sleep_calls(source) == [4, 5, 7]
