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


FIRING_RULES = "tests/triggers/test_firing_rules.py"
ACCEPTANCE_RULES = "tests/triggers/test_acceptance_rules.py"

TARGETS: list[Target] = [
    Target(
        rule="acceptance state machine",
        path="risks/workflow.py",
        names=(
            "LIVE",
            "RULES",
            "SIGNED_STATES",
            "rule_for",
            "allows",
            "refusal",
            "_or",
            "require",
            "actions_for",
            "transition",
        ),
        tests=("tests/risks/test_workflow.py",),
    ),
    Target(
        rule="decision lifecycle and deferral",
        path="adr/services/lifecycle.py",
        names=(
            "TRANSITIONS",
            "deferral_is_backed",
            "require_deferral_backed",
            "decision_change_status",
        ),
        tests=(
            "tests/adr/test_lifecycle.py",
            # an armed trigger backs a deferral (the registered alternative to a date)
            "tests/triggers/test_journeys.py::"
            "test_a_decision_cannot_be_deferred_until_a_trigger_or_revisit_date_exists",
            "tests/triggers/test_journeys.py::test_a_disarmed_trigger_no_longer_backs_a_deferral",
        ),
    ),
    Target(
        rule="trigger firing: dates, warnings, reminders",
        path="triggers/evaluate.py",
        names=(
            "evaluator_for",
            "next_check",
            "handle",
            "_remind",
            "DateEvaluator",
            "WebhookEvaluator",
        ),
        tests=(FIRING_RULES,),
    ),
    Target(
        rule="trigger firing: closed acceptances, mitigations, initiatives",
        path="triggers/evaluate.py",
        names=(
            "CLOSED_ACCEPTANCE_STATES",
            "_acceptance_gone",
            "_recheck_tomorrow",
            "MitigationEvaluator",
            "InitiativeEvaluator",
        ),
        tests=(FIRING_RULES,),
    ),
    Target(
        rule="trigger firing: metrics",
        path="triggers/evaluate.py",
        names=("MetricEvaluator",),
        tests=("tests/triggers/test_metric.py",),
    ),
    Target(
        rule="trigger firing: fire and its effects",
        path="triggers/firing.py",
        names=("Work.reschedule", "Work.fire", "Work._effects"),
        tests=(FIRING_RULES, ACCEPTANCE_RULES),
    ),
    Target(
        rule="trigger firing: warn N days before",
        path="triggers/models.py",
        names=(
            "Trigger.fire_day",
            "Trigger.fire_at",
            "Trigger.lead_days",
            "Trigger.warning_instants",
        ),
        tests=(FIRING_RULES,),
    ),
    Target(
        rule="trigger firing: claimed once (fires exactly once)",
        path="triggers/sweep.py",
        names=("_due", "sweep", "_claim_and_handle"),
        tests=(
            FIRING_RULES,
            "tests/triggers/test_sweep.py::"
            "test_a_second_sweep_blocked_behind_a_claimed_batch_skips_it_and_the_first_fires_it",
            "tests/triggers/test_sweep.py::"
            "test_each_batch_of_the_sweep_costs_the_same_bounded_number_of_queries",
        ),
    ),
]
