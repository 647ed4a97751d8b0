"""An acceptance's history as change sets, two versions compared, and the content
"as signed in round N" with its SHA-256 checked against that round's signatures."""

import hashlib

import pytest
from django.db import connection
from django.utils import timezone

from risks import services, signing
from risks.models import RiskAcceptance, Signature
from risks.signed_rounds import canonical_as_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _sign(user, acceptance):
    return services.acceptance_sign(
        actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
    )


@pytest.fixture
def two_rounds(architect, stakeholder, stakeholder2, stakeholder3, submitted):
    """Round 1: two signatures, voided by an edit of a mitigation; round 2: all three."""
    _sign(stakeholder, submitted)
    _sign(stakeholder2, submitted)
    acceptance = RiskAcceptance.objects.get(pk=submitted.pk)
    rows = [
        {"description": m.description, "status": m.status, "owner": m.owner, "due_on": m.due_on}
        for m in acceptance.mitigations.all()
    ]
    rows[0]["description"] = "Strict CSP with nonces, enforced on every frontend"
    services.acceptance_update(
        actor=architect, acceptance=acceptance, mitigations=rows, reason="CSP enforced"
    )
    acceptance = RiskAcceptance.objects.get(pk=submitted.pk)
    for user in (stakeholder, stakeholder2, stakeholder3):
        _sign(user, acceptance)
    acceptance.refresh_from_db()
    assert acceptance.state == RiskAcceptance.State.ACCEPTED
    rounds = sorted(set(Signature.objects.values_list("signing_round", flat=True)))
    assert len(rounds) == 2  # the scenario really has two rounds
    return acceptance, rounds


def test_the_rebuilt_canonical_form_is_the_one_signatures_cover(two_rounds):
    acceptance, _ = two_rounds
    # Rebuilt from history now = computed by the signing code from the live rows.
    assert canonical_as_of(acceptance.pk, timezone.now()) == signing.acceptance_canonical(
        acceptance
    )


def test_as_signed_in_each_of_two_rounds_the_digest_matches(two_rounds, login, auditor):
    acceptance, (first, second) = two_rounds
    client = login(auditor)
    page1 = client.get(f"/risks/{acceptance.pk}/rounds/{first}/")
    page2 = client.get(f"/risks/{acceptance.pk}/rounds/{second}/")
    assert page1.status_code == page2.status_code == 200
    r1, r2 = page1.context["round"], page2.context["round"]
    # Round 1 covered the old mitigation text, round 2 the new one.
    assert "Strict CSP with nonces" in r1.canonical
    assert "enforced on every frontend" not in r1.canonical
    assert "enforced on every frontend" in r2.canonical
    assert r1.digest == hashlib.sha256(r1.canonical.encode()).hexdigest()
    assert {s.content_digest for s in r1.signatures} == {r1.digest}
    assert len(r1.signatures) == 2 and all(s.void for s in r1.signatures)
    assert len(r2.signatures) == 3 and r2.digest == signing.acceptance_digest(acceptance)
    assert r1.digest != r2.digest
    for page, r in ((page1, r1), (page2, r2)):
        body = page.content.decode()
        assert "Digest matches." in body and "Digest does not match" not in body
        assert f'<code class="digest" id="round-digest">{r.digest}</code>' in body
    # The history page links to both rounds.
    history = client.get(f"/risks/{acceptance.pk}/history/").content.decode()
    assert f'href="/risks/{acceptance.pk}/rounds/{first}/"' in history
    assert f'href="/risks/{acceptance.pk}/rounds/{second}/"' in history
    assert client.get(f"/risks/{acceptance.pk}/rounds/99/").status_code == 404


def test_a_raw_sql_edit_of_a_history_row_shows_a_mismatch(two_rounds, login, auditor):
    acceptance, (first, second) = two_rounds
    client = login(auditor)
    before = client.get(f"/risks/{acceptance.pk}/rounds/{first}/").context["round"]
    assert before.matches
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE risks_historicalriskacceptance SET title = %s WHERE id = %s",
            ["A milder title", acceptance.pk],
        )
        assert cursor.rowcount >= 1
    for n in (first, second):
        page = client.get(f"/risks/{acceptance.pk}/rounds/{n}/")
        r = page.context["round"]
        assert not r.matches and "A milder title" in r.canonical
        body = page.content.decode()
        assert "Digest does not match." in body and "Digest matches." not in body


def test_a_raw_sql_edit_of_a_signature_digest_shows_a_mismatch(two_rounds, login, auditor):
    acceptance, (_, second) = two_rounds
    victim = Signature.objects.filter(signing_round=second).order_by("id").last()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE risks_signature SET content_digest = %s WHERE id = %s", ["0" * 64, victim.pk]
        )
    page = login(auditor).get(f"/risks/{acceptance.pk}/rounds/{second}/")
    assert not page.context["round"].matches
    body = page.content.decode()
    assert "Digest does not match." in body
    assert body.count("<td><strong>no</strong></td>") == 1  # only the edited signature


def test_one_save_is_one_entry_and_two_versions_compare(two_rounds, login, auditor):
    acceptance, _ = two_rounds
    client = login(auditor)
    page = client.get(f"/risks/{acceptance.pk}/history/")
    sets = page.context["change_sets"]
    # The edit: content, the mitigation and the voided signatures in one entry.
    edit = next(s for s in sets if "CSP enforced" in s.reason)
    labels = {e.object_label for e in edit.entries}
    assert "Acceptance" in labels and "Mitigation 1" in labels
    assert any(label.startswith("Signature of") for label in labels)
    assert len([s for s in sets if "CSP enforced" in s.reason]) == 1
    # Each signature is a save of its own (another person each time).
    assert len(sets) == len({s.key for s in sets})
    # Compare the version each round signed.
    versions = list(
        RiskAcceptance.history.filter(id=acceptance.pk).order_by("history_date", "history_id")
    )
    submitted = next(v for v in versions if v.state == "awaiting")
    newest = versions[-1]
    response = client.get(
        f"/risks/{acceptance.pk}/compare/?a={submitted.history_id}&b={newest.history_id}"
    )
    assert response.status_code == 200
    changes = {c.label: c for c in response.context["cmp"].changes}
    assert (
        changes["State"].old == "Awaiting signatures"
        or changes["State"].old != changes["State"].new
    )
    assert "enforced on every frontend" in changes["Mitigations"].new
    assert "enforced on every frontend" not in changes["Mitigations"].old
    assert "Title" not in changes  # unchanged content is not listed
    body = response.content.decode()
    assert '<ins class="diff-add">+ Strict CSP with nonces, enforced on every frontend' in body


def test_the_audit_file_puts_valid_signatures_first_and_void_rounds_in_an_appendix(
    two_rounds, login, auditor
):
    acceptance, (first, second) = two_rounds
    body = login(auditor).get(f"/risks/{acceptance.pk}/print/").content.decode()
    valid_at = body.index('id="valid-signatures"')
    document_at = body.index('id="document"')
    appendix_at = body.index('id="void-rounds"')
    assert valid_at < document_at < appendix_at
    valid_part = body[valid_at:document_at]
    appendix = body[appendix_at:]
    assert valid_part.count('class="manifestation"') == 3
    assert "VOID" not in valid_part.split("<h3>Signatories")[0]
    assert appendix.count('class="manifestation void"') == 2
    assert f"Round {first}" in appendix and f"Round {second}" not in appendix
    # A print button driven by a static script of ours (no inline JavaScript), and a
    # print stylesheet.
    assert '<button type="button" data-print>' in body
    assert "/static/risks/print.js" in body and "onclick" not in body
    assert "/static/risks/print.css" in body
    from pathlib import Path

    from django.contrib.staticfiles import finders

    assert "@media print" in Path(finders.find("risks/print.css")).read_text()
    assert "window.print()" in Path(finders.find("risks/print.js")).read_text()


def test_the_new_pages_are_for_readers_only(two_rounds, client, login, outsider, stakeholder):
    acceptance, (first, _) = two_rounds
    a, b = RiskAcceptance.history.filter(id=acceptance.pk).values_list("history_id", flat=True)[:2]
    urls = [
        f"/risks/{acceptance.pk}/rounds/{first}/",
        f"/risks/{acceptance.pk}/compare/?a={a}&b={b}",
    ]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for url in urls:
        assert login(outsider).get(url).status_code == 403
        assert login(stakeholder).get(url).status_code == 200
