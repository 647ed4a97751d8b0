import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_logs_in_and_sees_the_decision_list(page, browser_login, architect):
    browser_login(page, architect)
    assert page.locator("h1").first.inner_text() == "Decisions"
