"""Walk every URL of the site and find the strict CSP header on each response.

After `seed_demo`, the site is crawled from / as the staff user and as an anonymous
visitor, following every same-site <a href> (breadth first, bounded). Every URL
pattern that takes no arguments is requested too, and 400/403/404/500 pages are
forced. No response may be a 500 (except the forced one) and each must carry the
Content-Security-Policy header.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from tests.platform.csp import assert_csp, csp_problems

MAX_PAGES = 400
# URLs that differ only in their numbers (admin change pages, decision numbers…) are
# the same page shape; a few of each shape are enough.
MAX_PER_SHAPE = 4
MAX_PER_ADMIN_SHAPE = 2
SKIP_PREFIXES = ("/static/", "/media/", "/accounts/logout/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(response, base: str) -> list[str]:
    if "text/html" not in response.get("Content-Type", "") or response.streaming:
        return []
    parser = _Links()
    parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
    found = []
    for href in parser.hrefs:
        url, _ = urldefrag(urljoin(base, href))
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue  # another site, mailto:, javascript:…
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(SKIP_PREFIXES):
            found.append(path)
    return found


def _shape(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"\d+", "N", parts.path)
    if path.startswith("/admin/"):
        return path  # admin filters and orderings are the same page over and over
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return path + "?" + "&".join(keys)


def crawl(client, start: str = "/") -> dict[str, object]:
    """Breadth-first walk of same-site links; returns {url: response}.

    The app's own pages go first; Django admin pages fill the rest of the budget.
    """
    seen, shapes = {start}, Counter([_shape(start)])
    app_queue, admin_queue, responses = deque([start]), deque(), {}
    while (app_queue or admin_queue) and len(responses) < MAX_PAGES:
        url = (app_queue or admin_queue).popleft()
        response = client.get(url)
        responses[url] = response
        targets = _links(response, url)
        if response.status_code in (301, 302, 303, 307, 308):
            targets.append(urldefrag(urljoin(url, response["Location"]))[0])
        for target in targets:
            shape = _shape(target)
            limit = MAX_PER_ADMIN_SHAPE if target.startswith("/admin/") else MAX_PER_SHAPE
            if target not in seen and shapes[shape] < limit:
                seen.add(target)
                shapes[shape] += 1
                (admin_queue if target.startswith("/admin/") else app_queue).append(target)
    return responses


def argument_free_urls() -> list[str]:
    """Every URL pattern of the resolver that needs no arguments, as a path."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                if "<" not in route and "(" not in route:
                    walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and not re.search(r"[<(\[*+?\\]", route):
                found.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def _failures(responses: dict) -> list[str]:
    problems = []
    for url, response in responses.items():
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            problems.append(f"{url}: {response.status_code} {exc[1]!r}" if exc else url)
        problems += csp_problems(response, url)
    return problems


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=StringIO())
    return get_user_model().objects.get(username="admin")


def test_the_staff_crawl_finds_csp_on_every_page_and_no_500(seeded, client):
    client.raise_request_exception = False
    client.force_login(seeded)
    responses = crawl(client)
    pages = [u for u, r in responses.items() if r.status_code == 200]
    # The crawl really walked the app: decisions, logs, admin pages.
    assert any(u.startswith("/decisions/AUTH-") for u in pages), pages
    assert any(u.startswith("/decisions/logs/") for u in pages), pages
    assert any(u.startswith("/admin/") for u in pages), pages
    assert len(pages) > 30, pages
    # Every part of the app was reached, not only the admin.
    for prefix in ("/risks/", "/triggers/", "/outbox/", "/accounts/profile/"):
        assert any(u.startswith(prefix) for u in pages), (prefix, pages)
    assert len(responses) < MAX_PAGES, "the crawl hit its page budget"
    problems = _failures(responses)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("username", ["sam", "audrey", "alice"])
def test_the_crawl_as_each_role_finds_csp_on_every_page_and_no_500(seeded, client, username):
    client.raise_request_exception = False
    client.force_login(get_user_model().objects.get(username=username))
    responses = crawl(client)
    assert any(
        u.startswith("/decisions/AUTH-") for u, r in responses.items() if r.status_code == 200
    )
    problems = _failures(responses)
    assert not problems, "\n".join(problems)


def test_the_anonymous_crawl_reaches_only_the_login_and_password_reset_pages(db, client):
    call_command("seed_demo", stdout=StringIO())
    client.raise_request_exception = False
    responses = crawl(client)
    pages = {urlsplit(u).path for u, r in responses.items() if r.status_code == 200}
    assert pages == {"/accounts/login/", "/accounts/password-reset/"}, pages
    problems = _failures(responses)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["staff", "anonymous"])
def test_every_argument_free_url_pattern_has_csp_and_no_500(seeded, client, who):
    client.raise_request_exception = False
    if who == "staff":
        client.force_login(seeded)
    urls = argument_free_urls()
    assert "/accounts/login/" in urls and "/decisions/" in urls, urls
    responses = {url: client.get(url) for url in urls}
    problems = _failures(responses)
    assert not problems, "\n".join(problems)


def test_a_forced_403_page_has_csp(db, client, outsider):
    client.force_login(outsider)  # signed in, but no role: may read nothing
    response = client.get("/decisions/")
    assert response.status_code == 403
    assert_csp(response, "/decisions/ as outsider")
    assert b"Not allowed" in response.content


def test_forced_404_pages_have_csp(db, client, staff):
    anonymous = client.get("/accounts/login/no-such-page/")
    assert anonymous.status_code == 404
    assert_csp(anonymous, "anonymous 404")
    client.force_login(staff)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_csp(response, "staff 404")
    assert b"Not found" in response.content


@pytest.mark.urls("tests.platform.urls_boom")
def test_forced_500_pages_have_csp_and_our_layout(db, client, staff):
    client.raise_request_exception = False
    anonymous = client.get("/accounts/login/boom/")
    assert anonymous.status_code == 500
    assert_csp(anonymous, "anonymous 500")
    client.force_login(staff)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert_csp(response, "staff 500")
    assert b"Something went wrong" in response.content
    assert b"forced failure" not in response.content  # no internals leak


@pytest.mark.urls("tests.platform.urls_boom")
def test_a_forced_400_page_has_csp(db, client, staff):
    client.force_login(staff)
    response = client.get("/suspicious/")
    assert response.status_code == 400
    assert_csp(response, "400")


def test_the_login_page_carries_a_nonce_used_by_its_scripts(db, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_csp(response, "/accounts/login/")
    header = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", header).group(1)
    assert f'nonce="{nonce}"'.encode() in response.content
    # A fresh nonce per response.
    assert nonce not in client.get("/accounts/login/")["Content-Security-Policy"]


def test_the_500_page_falls_back_to_plain_html_when_the_layout_cannot_render(db, rf):
    from django.db import OperationalError
    from django.utils.functional import SimpleLazyObject

    from config.views import server_error

    def database_down():
        raise OperationalError("could not connect to server")

    request = rf.get("/anything/")
    request.user = SimpleLazyObject(database_down)
    response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"<script" not in response.content and b"style" not in response.content


HOSTILE_QUERIES = [
    "q=%00",
    "q=" + "x" * 5000,
    "page=-1",
    "page=99999999999999999999",
    "status=%00&tag=%00&log=%00",
    "log=%E2%80%AE%F0%9F%92%A5&state=%27%22%3E%3Cscript%3E",
    "due_within=abc&decision=abc&owner=%00",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_query_strings_on_every_list_page_never_give_a_500(seeded, client, query):
    client.raise_request_exception = False
    client.force_login(seeded)
    urls = [u for u in argument_free_urls() if not u.startswith(("/admin/", "/accounts/logout"))]
    responses = {f"{url}?{query}": client.get(f"{url}?{query}") for url in urls}
    problems = _failures(responses)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "url", ["/decisions/?q=%00", "/risks/?owner=%00", "/decisions/new/?log=A%00", "/%00/"]
)
def test_a_nul_byte_in_a_url_is_a_400_with_our_error_page(db, client, staff, url):
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert_csp(response, url)
