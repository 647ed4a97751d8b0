"""A mutation run over the business rules that must never change silently.

``python -m tests.mutations`` (or ``make mutations``) makes one-line mutants of chosen
functions (``targets.py``), runs the tests that guard each function against every mutant
in a scratch copy of the tree, and reports which mutants survived. See docs/testing.md.
"""
