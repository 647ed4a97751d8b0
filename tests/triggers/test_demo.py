import pytest
from django.core.management import call_command

from triggers.models import Initiative, Trigger

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_case_study_triggers_once(settings, capsys):
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["localhost"]
    settings.LEDGER_METRIC_ALLOW_PRIVATE = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "triggers: already there" in out
    names = set(Trigger.objects.values_list("name", flat=True))
    assert {"Legacy frontends sunset", "RBAC initiative done"} <= names
    metric = Trigger.objects.get(kind="metric")
    assert metric.params["url"].endswith("/demo/legacy-frontend-usage.json")
    assert (metric.params["op"], metric.params["threshold"]) == ("<", 50.0)
    assert Initiative.objects.count() == 1
    sunset = Trigger.objects.get(name="Legacy frontends sunset")
    assert sunset.decisions.get().reference == "AUTH-0001"
    if sunset.risk_acceptance is not None:
        assert (
            Trigger.objects.filter(risk_acceptance=sunset.risk_acceptance, kind="expiry").count()
            == 1
        )
