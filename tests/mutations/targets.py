"""What the mutation run mutates, and which tests guard each rule.

A target names functions or module-level tables (``names``) in one module and the
test files that must kill every mutant of them. Keep the test list small: it runs once
per mutant.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    rule: str
    path: str
    names: tuple[str, ...]
    tests: tuple[str, ...]


TARGETS: list[Target] = []
