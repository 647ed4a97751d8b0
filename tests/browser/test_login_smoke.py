import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_logs_in_and_lands_on_their_home_page(page, browser_login, architect):
    # The landing page is "Your work" (issue 11); it was the decision list before.
    browser_login(page, architect)
    assert page.locator("h1").first.inner_text() == "Your work"
