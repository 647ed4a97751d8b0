"""The pages under /risks/, with literal URLs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.accounts.models import ApiToken
from risks import services, signing
from risks.models import RiskAcceptance, Signature, SigningAttempt
from tests.conftest import PASSWORD, make_user
from tests.risks.conftest import add_date_trigger, new_acceptance

pytestmark = pytest.mark.django_db


def test_the_list_shows_acceptances_with_their_state(login, auditor, submitted):
    response = login(auditor).get("/risks/")
    assert response.status_code == 200
    assert b"JS-readable auth tokens" in response.content
    # The row's badge (the state filter lists every state's name anyway).
    assert b'<span class="state state-awaiting">Awaiting signatures</span>' in response.content
    assert response.content.count(b'<span class="state state-') == 1
    assert response.context["nav"] == "risks"


def test_the_list_filters_by_state_owner_and_my_signature(
    login, submitted, stakeholder, stakeholder2, architect, outsider
):
    other = services.acceptance_create(
        actor=architect, title="Another risk", risk_statement="r", owner=architect
    )
    client = login(stakeholder2)
    titles = lambda r: [a.title for a in r.context["page"]]  # noqa: E731
    assert titles(client.get("/risks/?state=draft")) == [other.title]
    assert titles(client.get("/risks/?owner=sam")) == [submitted.title]
    assert titles(client.get("/risks/?mine=1")) == [submitted.title]
    services.acceptance_sign(
        actor=stakeholder2, acceptance=submitted, password=PASSWORD, verdict="approve"
    )
    assert titles(client.get("/risks/?mine=1")) == []
    assert client.get("/risks/?state=nonsense").status_code == 200


def test_the_list_is_refused_to_users_without_a_role(login, outsider):
    assert login(outsider).get("/risks/").status_code == 403


def test_the_list_page_has_a_bounded_number_of_queries(
    login, auditor, architect, stakeholder, django_assert_max_num_queries
):
    for i in range(30):
        services.acceptance_create(
            actor=architect,
            title=f"Risk {i}",
            risk_statement="r",
            owner=stakeholder,
            mitigations=[{"description": f"m{j}"} for j in range(3)],
            signatories=[{"user": stakeholder, "meaning": "risk owner"}],
        )
    client = login(auditor)
    with django_assert_max_num_queries(8):
        response = client.get("/risks/")
    assert len(response.context["page"]) == 30


@pytest.fixture
def busy(django_user_model, architect):
    """An acceptance with 8 signatories, 12 mitigations and 3 rounds of (voided) signatures."""
    users = [make_user(django_user_model, f"signer{i}", "stakeholder") for i in range(8)]
    acc = new_acceptance(
        architect,
        title="Busy",
        owner=architect,
        days=60,
        mitigations=[{"description": f"mitigation {j}"} for j in range(12)],
        signatories=[{"user": u, "meaning": f"role {i}"} for i, u in enumerate(users)],
    )
    services.acceptance_submit(actor=architect, acceptance=acc)
    for round_ in range(3):
        for user in users[:6]:
            services.sign_verified(actor=user, acceptance=acc, verdict="approve")
        services.acceptance_update(actor=architect, acceptance=acc, scope=f"scope {round_}")
    for user in users[:4]:
        services.sign_verified(actor=user, acceptance=acc, verdict="approve")
    assert Signature.objects.filter(acceptance=acc).count() == 22
    return acc


def test_the_detail_page_has_a_bounded_number_of_queries(
    login, auditor, busy, django_assert_max_num_queries
):
    client = login(auditor)
    with django_assert_max_num_queries(16):
        response = client.get(f"/risks/{busy.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="void"') == 18
    assert html.count('class="signed"') == 4
    assert html.count('<td class="awaited" colspan="3">awaited</td>') == 4
    assert "mitigation 11" in html


def test_the_history_page_has_a_bounded_number_of_queries(
    login, auditor, busy, django_assert_max_num_queries
):
    client = login(auditor)
    with django_assert_max_num_queries(13):  # 12 + the navigation count
        response = client.get(f"/risks/{busy.pk}/history/")
    assert response.status_code == 200
    assert len(response.context["entries"]) > 60


def test_the_print_view_has_a_bounded_number_of_queries(
    login, auditor, busy, django_assert_max_num_queries
):
    client = login(auditor)
    with django_assert_max_num_queries(16):
        response = client.get(f"/risks/{busy.pk}/print/")
    assert response.status_code == 200


def test_an_architect_drafts_an_acceptance_with_mitigations_and_signatories(
    login, architect, stakeholder, stakeholder2, deferral
):
    client = login(architect)
    assert client.get("/risks/new/").status_code == 200
    data = {
        "title": "Tokens readable by JS",
        "finding_source": "pentest",
        "finding_reference": "PT-1",
        "risk_statement": "XSS can read tokens.",
        "likelihood": "3",
        "impact": "4",
        "scope": "",
        "residual_risk": "",
        "owner": str(stakeholder.pk),
        "expires_on": str(timezone.localdate() + timedelta(days=90)),
        "decisions": [str(deferral.pk)],
        "m-TOTAL_FORMS": "2",
        "m-INITIAL_FORMS": "0",
        "m-0-description": "Strict CSP",
        "m-0-status": "in_place",
        "m-0-owner": "",
        "m-0-due_on": "",
        "m-1-description": "",
        "m-1-status": "planned",
        "s-TOTAL_FORMS": "2",
        "s-INITIAL_FORMS": "0",
        "s-0-user": str(stakeholder.pk),
        "s-0-meaning": "risk owner",
        "s-1-user": str(stakeholder2.pk),
        "s-1-meaning": "security lead",
    }
    response = client.post("/risks/new/", data)
    acc = RiskAcceptance.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/risks/{acc.pk}/"
    assert [m.description for m in acc.mitigations.all()] == ["Strict CSP"]
    assert [s.meaning for s in acc.signatories.all()] == ["risk owner", "security lead"]
    assert list(acc.decisions.all()) == [deferral]
    # The edit page shows the same lists back, dates in the ISO form date inputs need.
    page = client.get(f"/risks/{acc.pk}/edit/").content.decode()
    assert "Strict CSP" in page and "security lead" in page
    assert f'value="{acc.expires_on.isoformat()}"' in page


def test_bad_input_on_the_edit_page_is_a_form_error_not_a_500(login, architect, stakeholder):
    client = login(architect)
    response = client.post(
        "/risks/new/",
        {
            "title": "",
            "likelihood": "9",
            "m-TOTAL_FORMS": "x",
            "s-TOTAL_FORMS": "0",
            "s-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not RiskAcceptance.objects.exists()


def test_stakeholders_cannot_draft_or_edit_others_acceptances(login, stakeholder2, draft):
    client = login(stakeholder2)
    assert client.get("/risks/new/").status_code == 403
    assert client.get(f"/risks/{draft.pk}/edit/").status_code == 403


def test_submitting_from_the_detail_page(login, architect, draft):
    response = login(architect).post(f"/risks/{draft.pk}/submit/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "awaiting"


def test_a_refused_submit_says_why(login, architect, draft):
    services.acceptance_update(actor=architect, acceptance=draft, expires_on=None)
    response = login(architect).post(f"/risks/{draft.pk}/submit/", follow=True)
    assert b"Set an expiry date." in response.content


def test_the_sign_page_shows_the_document_its_digest_and_the_meaning(
    login, stakeholder2, submitted
):
    response = login(stakeholder2).get(f"/risks/{submitted.pk}/sign/")
    assert response.status_code == 200
    html = response.content.decode()
    assert signing.acceptance_digest(submitted) in html
    assert "security lead" in html
    assert "Strict CSP with nonces" in html
    assert 'type="password"' in html
    assert not Signature.objects.exists()  # a GET never signs


def test_a_non_signatory_gets_403_on_the_sign_page(login, auditor, outsider, submitted):
    assert login(auditor).get(f"/risks/{submitted.pk}/sign/").status_code == 403
    response = login(auditor).post(
        f"/risks/{submitted.pk}/sign/",
        {"verdict": "approve", "password": PASSWORD, "digest": "x"},
    )
    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_the_submitter_gets_403_on_the_sign_page(login, architect, draft, stakeholder2):
    services.signatory_add(actor=architect, acceptance=draft, user=architect, meaning="architect")
    services.signatory_remove(actor=architect, signatory=draft.signatories.get(user=architect))
    services.acceptance_submit(actor=architect, acceptance=draft)
    services.signatory_add(actor=architect, acceptance=draft, user=architect, meaning="architect")
    assert login(architect).get(f"/risks/{draft.pk}/sign/").status_code == 403


def test_an_api_token_without_a_session_can_never_sign(client, stakeholder2, submitted):
    raw = ApiToken.generate()
    ApiToken.objects.create(user=stakeholder2, name="ci", digest=ApiToken.hash(raw), hint=raw[:8])
    digest = signing.acceptance_digest(submitted)
    for auth in (f"Token {raw}", f"Bearer {raw}"):
        response = client.post(
            f"/risks/{submitted.pk}/sign/",
            {"verdict": "approve", "password": PASSWORD, "digest": digest},
            HTTP_AUTHORIZATION=auth,
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not Signature.objects.exists()


def test_a_wrong_password_on_the_sign_page_signs_nothing(login, stakeholder2, submitted):
    response = login(stakeholder2).post(
        f"/risks/{submitted.pk}/sign/",
        {
            "verdict": "approve",
            "password": "wrong",
            "digest": signing.acceptance_digest(submitted),
        },
    )
    assert response.status_code == 200
    assert b"not right" in response.content
    assert not Signature.objects.exists()
    assert SigningAttempt.objects.get().succeeded is False


def test_signing_on_the_sign_page(login, stakeholder2, submitted):
    response = login(stakeholder2).post(
        f"/risks/{submitted.pk}/sign/",
        {
            "verdict": "approve",
            "password": PASSWORD,
            "digest": signing.acceptance_digest(submitted),
        },
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    sig = Signature.objects.get()
    assert sig.user == stakeholder2 and sig.meaning == "security lead"
    assert SigningAttempt.objects.get().ip_address == "10.1.2.3"


def test_declining_without_a_reason_is_a_form_error(login, stakeholder2, submitted):
    response = login(stakeholder2).post(
        f"/risks/{submitted.pk}/sign/",
        {
            "verdict": "decline",
            "password": PASSWORD,
            "digest": signing.acceptance_digest(submitted),
        },
    )
    assert response.status_code == 200
    assert b"Say why you decline" in response.content
    assert not Signature.objects.exists()


def test_a_stale_digest_on_the_sign_page_signs_nothing(login, architect, stakeholder2, submitted):
    old = signing.acceptance_digest(submitted)
    services.acceptance_update(actor=architect, acceptance=submitted, scope="changed")
    response = login(stakeholder2).post(
        f"/risks/{submitted.pk}/sign/",
        {"verdict": "approve", "password": PASSWORD, "digest": old},
    )
    assert response.status_code == 400
    assert b"changed while you were reading" in response.content
    assert signing.acceptance_digest(submitted).encode() in response.content
    assert not Signature.objects.exists()


def test_revoking_from_the_page_needs_a_reason(login, architect, submitted):
    client = login(architect)
    client.post(f"/risks/{submitted.pk}/revoke/", {"reason": ""})
    submitted.refresh_from_db()
    assert submitted.state == "awaiting"
    client.post(f"/risks/{submitted.pk}/revoke/", {"reason": "fixed by the BFF"})
    submitted.refresh_from_db()
    assert submitted.state == "revoked"


def test_a_get_on_an_action_url_changes_nothing(login, architect, draft):
    assert login(architect).get(f"/risks/{draft.pk}/submit/").status_code == 405


def test_a_named_signatory_without_a_role_may_read_and_sign(login, architect, draft, outsider):
    services.signatory_add(actor=architect, acceptance=draft, user=outsider, meaning="DPO")
    services.acceptance_submit(actor=architect, acceptance=draft)
    client = login(outsider)
    assert client.get(f"/risks/{draft.pk}/").status_code == 403
    assert client.get(f"/risks/{draft.pk}/sign/").status_code == 200
    response = client.post(
        f"/risks/{draft.pk}/sign/",
        {"verdict": "approve", "password": PASSWORD, "digest": signing.acceptance_digest(draft)},
    )
    assert response.status_code == 302
    assert Signature.objects.get().meaning == "DPO"


def test_the_detail_page_lists_the_acceptances_triggers(login, architect, draft):
    add_date_trigger(architect, draft)
    html = login(architect).get(f"/risks/{draft.pk}/").content.decode()
    assert "Legacy frontend sunset" in html
    assert f"/triggers/new/?acceptance={draft.pk}" in html


def test_the_detail_page_offers_what_the_workflow_allows_the_viewer(
    login, architect, auditor, stakeholder2, submitted
):
    buttons = {
        "sign": 'id="sign-link"',
        "edit": f'href="/risks/{submitted.pk}/edit/"',
        "submit": 'id="submit-for-signature"',
        "revoke": f'action="/risks/{submitted.pk}/revoke/"',
        "remediate": f'action="/risks/{submitted.pk}/remediated/"',
    }

    def offered(user) -> set[str]:
        html = login(user).get(f"/risks/{submitted.pk}/").content.decode()
        return {name for name, marker in buttons.items() if marker in html}

    assert offered(architect) == {"edit", "revoke"}
    assert offered(stakeholder2) == {"sign"}
    assert offered(auditor) == set()
