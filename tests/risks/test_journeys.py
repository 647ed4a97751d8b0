"""Journeys 2, 3 and 9 of PRODUCT.md, through the web pages."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from config.dates import format_datetime
from config.notifications.models import Notification
from risks import services, signing
from risks.models import RiskAcceptance, Signature
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_on_the_page(client, acceptance, verdict="approve", reason=""):
    page = client.get(f"/risks/{acceptance.pk}/sign/")
    assert page.status_code == 200
    return client.post(
        f"/risks/{acceptance.pk}/sign/",
        {
            "verdict": verdict,
            "reason": reason,
            "password": PASSWORD,
            "digest": page.context["digest"],
        },
    )


def _edit_payload(acceptance, **overrides):
    """What the edit page would post back unchanged (plus overrides)."""
    data = {
        "title": acceptance.title,
        "finding_source": acceptance.finding_source,
        "finding_reference": acceptance.finding_reference,
        "risk_statement": acceptance.risk_statement,
        "likelihood": acceptance.likelihood,
        "impact": acceptance.impact,
        "scope": acceptance.scope,
        "residual_risk": acceptance.residual_risk,
        "owner": acceptance.owner_id,
        "expires_on": acceptance.expires_on.isoformat(),
        "decisions": [d.pk for d in acceptance.decisions.all()],
        "change_reason": "",
    }
    mitigations = list(acceptance.mitigations.all())
    data.update({"m-TOTAL_FORMS": len(mitigations), "m-INITIAL_FORMS": len(mitigations)})
    for i, m in enumerate(mitigations):
        data.update(
            {
                f"m-{i}-id": m.pk,
                f"m-{i}-description": m.description,
                f"m-{i}-status": m.status,
                f"m-{i}-owner": m.owner_id or "",
                f"m-{i}-due_on": m.due_on.isoformat() if m.due_on else "",
            }
        )
    signatories = list(acceptance.signatories.all())
    data.update({"s-TOTAL_FORMS": len(signatories), "s-INITIAL_FORMS": len(signatories)})
    for i, s in enumerate(signatories):
        data.update({f"s-{i}-user": s.user_id, f"s-{i}-meaning": s.meaning})
    data.update(overrides)
    return data


def test_journey_2_drafted_submitted_signed_by_three_and_printed(
    client, architect, stakeholder, stakeholder2, stakeholder3, draft, deferral
):
    client.force_login(architect)
    assert client.post(f"/risks/{draft.pk}/submit/").status_code == 302
    # Each signatory gets an email asking for their signature.
    requested = Notification.objects.filter(event="signature.requested")
    assert sorted(requested.values_list("recipient", flat=True)) == [
        "eric@example.test",
        "sam@example.test",
        "sofia@example.test",
    ]
    mail = requested.get(recipient="sofia@example.test")
    assert f"/risks/{draft.pk}/sign/" in mail.body_text
    assert f"/risks/{draft.pk}/sign/" in mail.body_html
    for user in (stakeholder, stakeholder2, stakeholder3):
        client.force_login(user)
        response = _sign_on_the_page(client, draft)
        assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.state == RiskAcceptance.State.ACCEPTED
    # Issue 11's loop: the owner (sam, who signed first) is not told of his own signature,
    # hears of sofia's, and the last one is announced to everyone as "accepted".
    assert Notification.objects.filter(event="acceptance.signed").count() == 1
    assert sorted(
        Notification.objects.filter(event="acceptance.accepted").values_list("recipient", flat=True)
    ) == ["alice@example.test", "sam@example.test", "sofia@example.test"]
    # The decision page's reverse relation knows about the acceptance.
    assert list(deferral.risk_acceptances.all()) == [draft]
    client.force_login(architect)
    html = client.get(f"/risks/{draft.pk}/print/").content.decode()
    digest = signing.acceptance_digest(draft)
    for sig in Signature.objects.all():
        assert sig.printed_name in html
        assert sig.meaning in html
        assert format_datetime(sig.signed_at) in html
    assert html.count(digest) == 1 + 3  # the document's and each signature's
    assert "Approved" in html and ("CET" in html or "CEST" in html)


def test_journey_3_an_edited_mitigation_voids_two_signatures(
    client, architect, stakeholder, stakeholder2, stakeholder3, submitted
):
    for user in (stakeholder, stakeholder2):
        client.force_login(user)
        assert _sign_on_the_page(client, submitted).status_code == 302
    client.force_login(architect)
    data = _edit_payload(submitted, change_reason="CSP now enforced everywhere")
    data["m-0-description"] = "Strict CSP with nonces, enforced on every frontend"
    assert client.post(f"/risks/{submitted.pk}/edit/", data).status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == RiskAcceptance.State.AWAITING
    assert Signature.objects.filter(void=True).count() == 2
    assert not Signature.objects.filter(void=False).exists()
    rerequested = Notification.objects.filter(event="signature.rerequested")
    assert sorted(rerequested.values_list("recipient", flat=True)) == [
        "eric@example.test",
        "sam@example.test",
        "sofia@example.test",
    ]
    # The detail page greys the void signatures out.
    detail = client.get(f"/risks/{submitted.pk}/").content.decode()
    assert detail.count('class="void"') == 2
    # History shows both versions side by side.
    history = client.get(f"/risks/{submitted.pk}/history/").content.decode()
    assert '<div class="old">Strict CSP with nonces</div>' in history
    assert '<div class="new">Strict CSP with nonces, enforced on every frontend</div>' in history
    assert "CSP now enforced everywhere" in history
    # An unchanged save voids nothing more and mails nobody again.
    sam_client = client
    sam_client.force_login(stakeholder)
    assert _sign_on_the_page(sam_client, submitted).status_code == 302
    sam_client.force_login(architect)
    sam_client.post(f"/risks/{submitted.pk}/edit/", _edit_payload(submitted))
    assert Signature.objects.filter(void=False).count() == 1
    assert rerequested.count() == 3


def test_journey_9_an_auditor_reads_the_history_and_verification_catches_a_sql_edit(
    client, auditor, stakeholder, stakeholder2, stakeholder3, architect, submitted, capsys
):
    for user in (stakeholder, stakeholder2, stakeholder3):
        services.acceptance_sign(
            actor=user, acceptance=submitted, password=PASSWORD, verdict="approve"
        )
    client.force_login(auditor)
    history = client.get(f"/risks/{submitted.pk}/history/")
    assert history.status_code == 200
    text = history.content.decode()
    assert "Signature of Sofia Security (security lead)" in text
    assert "submitted for signature" in text
    assert "accepted: last signature" in text
    call_command("verify_ledger")
    assert "0 problem(s)" in capsys.readouterr().out
    mitigation = submitted.mitigations.first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE risks_mitigation SET description = %s WHERE id = %s",
            ["Nothing, really", mitigation.pk],
        )
    with pytest.raises(CommandError, match="FAILED"):
        call_command("verify_ledger")
    out = capsys.readouterr().out
    # Three signatures no longer match the content, and the keyed chain names the field.
    assert out.count("PROBLEM") == 4
    assert f"acceptance #{submitted.pk}" in out
    assert "Sofia Security" in out and "content changed without voiding" in out
    assert f"mitigation #{mitigation.pk}, field description: the database has" in out
