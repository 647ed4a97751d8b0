"""Every link and button shown to a person works for that person.

As each role, Chromium walks the site from the home page and collects what every page
offers: visible links (also those in closed <details>, which a person can open), GET
forms and POST buttons. Every link and GET form is fetched with the person's session
and must not answer 403, 405 or 5xx. Every POST button is checked against the server's
own permission: the same action URL is posted, for the same user, by Django's test
client inside a transaction that is rolled back (nothing destructive is kept); the
answer must not be 403, 405 or 5xx either (a form error such as a wrong password is fine:
the person was allowed to try).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from tests.browser.site_walk import (
    NOT_SUBMITTED,
    REQUIRED_PAGE_TYPES,
    ROLES,
    login,
    seed_demo,
    walk,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFUSED = {403, 405}


def _bad(status: int) -> bool:
    return status in REFUSED or status >= 500


def test_every_visible_link_and_button_works_for_the_person_who_sees_it(
    chromium_browser, live_server
):
    from tests.conftest import require_postgres

    require_postgres()
    seed_demo()
    problems: list[str] = []
    posted = fetched = 0
    for role, (username, _password) in ROLES.items():
        context = chromium_browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(20_000)
        pg = login(context, live_server.url, role)
        walked = walk(pg, live_server.url)
        missing = set(REQUIRED_PAGE_TYPES) - set(walked.pages.values())
        assert not missing, f"{role} never reached {sorted(missing)}"
        for href, source in sorted(walked.links.items()):
            if href.startswith("/admin/") and role != "staff":
                problems.append(f"{role}: admin link {href} shown on {source}")
            response = context.request.get(live_server.url + href, max_redirects=5)
            fetched += 1
            if _bad(response.status):
                problems.append(f"{role}: link {href} on {source} answers {response.status}")
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        seen_posts: set[tuple[str, str]] = set()
        for form in walked.forms:
            path = form["action"][len(live_server.url) :] or form["page"]
            if form["method"] == "get":
                query = urlencode([tuple(pair) for pair in form["data"]])
                response = context.request.get(f"{live_server.url}{path.split('?')[0]}?{query}")
                fetched += 1
                if _bad(response.status):
                    problems.append(
                        f"{role}: GET form {path} on {form['page']} answers {response.status}"
                    )
                continue
            if urlsplit(path).path in NOT_SUBMITTED or (path, form["label"]) in seen_posts:
                continue
            seen_posts.add((path, form["label"]))
            data: dict[str, list[str]] = {}
            for name, value in form["data"]:
                data.setdefault(name, []).append(value)
            with transaction.atomic():
                response = client.post(path, data)
                transaction.set_rollback(True)
            posted += 1
            if _bad(response.status_code):
                problems.append(
                    f"{role}: button “{form['label']}” on {form['page']} posts to {path}: "
                    f"{response.status_code}"
                )
        context.close()
    assert fetched > 100 and posted > 10, (fetched, posted)
    assert not problems, f"{len(problems)} controls that do not work:\n" + "\n".join(problems)
