"""A form fuzzer: every POST form the crawl finds gets mutated values; none may answer
5xx, and a refused post changes nothing.

After `seed_demo`, the app's pages are crawled (breadth first, bounded; the Django
admin is left out: it is Django's own code and its delete pages would empty the
demo) as staff, an architect, a stakeholder and an anonymous visitor. Every
`<form method="post">` found is submitted as a browser would, one mutation at a time:
NUL bytes, invalid UTF-8, overlong strings, huge, negative and non-finite numbers,
out-of-range and impossible dates, missing fields, repeated fields, and missing,
negative or huge formset management-form counts.

A response of 500 or more fails the test, with the request that caused it. A refused
post (4xx, or 200 with the form shown again) must leave the database as it was: the
fingerprint (row count and highest id of every table, history included) is compared
around each one. Deterministic: the mutations come from a seeded generator, and the
crawl order is fixed.
"""

from __future__ import annotations

import random
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import quote_from_bytes, quote_plus, urldefrag, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.platform.fingerprint import changed_tables, db_fingerprint
from tests.platform.test_every_url import _links, _shape

# A stakeholder (Eric: the demo acceptance awaits his signature), an architect, staff,
# anonymous. A form is fuzzed once, by the first persona whose crawl finds it (the same
# form with other numbers or log keys counts as one). Before the architect's turn the
# RBAC initiative is marked done, so that a fired trigger and a decision to review
# bring their forms (acknowledge, resolve, reviewed…) into the crawl.
PERSONAS = ["eric", "alice", "admin", None]
MAX_PAGES = 90  # per persona
MAX_PER_SHAPE = 2
SKIP_PREFIXES = ("/admin/", "/static/", "/accounts/logout/", "/api/")
# Posts that never reach a form's handler in a useful way, or end the session.
SKIP_ACTIONS = ("/accounts/logout/",)
FIELDS_PER_KIND = 2
# A refusal that writes on purpose: a failed signature is audited (risks.SigningAttempt),
# and the password-reset throttle counts refused requests too.
AUDITED_REFUSALS = {"risks_signingattempt", "accounts_passwordresetrequest"}
# A 200 that is a success: the profile shows a new API token, and the calendar page a
# new feed address, once, in the response.
SUCCESS_200 = ("/accounts/profile/", "/calendar/regenerate/")

TEXT_TYPES = {"text", "textarea", "hidden", "email", "password", "search", "url", "tel"}
NUMBER_VALUES = ["-1", "-99999999999", "9" * 40, "1e309", "NaN", "0x10", " 3 "]
DATE_VALUES = ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "-2026-01-01"]
INVALID_UTF8 = b"\xff\xfe\xc3( caf\xe9"
COUNT_FIELD = re.compile(
    r"^(?P<prefix>.+)-(TOTAL_FORMS|INITIAL_FORMS|MIN_NUM_FORMS|MAX_NUM_FORMS)$"
)
# (field suffix, value) for every formset's management form; None: the field left out.
COUNT_MUTATIONS = [("TOTAL_FORMS", "-1"), ("INITIAL_FORMS", "-1"), ("INITIAL_FORMS", None)]
LOG_KEY_SEGMENT = re.compile(r"/[A-Z][A-Z0-9]{1,11}(?=[-/])")


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea", "select", "checkbox", "radio"
    value: str
    checked: bool = True


@dataclass
class Form:
    page: str
    action: str
    fields: list[Field] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def pairs(self) -> list[tuple[str, str | bytes]]:
        """What a browser submits (no named button)."""
        return [(f.name, f.value) for f in self.fields if f.checked]

    def key(self) -> tuple:
        """The same form elsewhere (another decision number or log key) is the same key."""
        path = LOG_KEY_SEGMENT.sub("/K", _shape(self.action).split("?")[0])
        return (path, tuple(sorted({re.sub(r"\d+", "N", f.name) for f in self.fields})))


class _Forms(HTMLParser):
    """Every POST form on a page, with the values a browser would submit."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._select_has_choice = False
        self._select_first = True

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                action = urldefrag(urljoin(self.page, a.get("action") or self.page))[0]
                self.form = Form(page=self.page, action=action)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                if kind != "button":
                    self.form.buttons.append((name, a.get("value", "")))
            elif kind == "file":
                return
            elif kind in ("checkbox", "radio"):
                checked = "checked" in a
                self.form.fields.append(Field(name, kind, a.get("value", "on"), checked))
            else:
                self.form.fields.append(Field(name, kind, a.get("value", "")))
        elif tag == "button" and name and a.get("type", "submit").lower() == "submit":
            self.form.buttons.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = Field(name, "textarea", "")
            self.form.fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = Field(name, "select", "")
            self._select_has_choice, self._select_first = False, True
            self.form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            # The selected option, or else the first one (as a browser submits).
            if "selected" in a or (self._select_first and not self._select_has_choice):
                self._select.value = a.get("value", "")
            self._select_has_choice = self._select_has_choice or "selected" in a
            self._select_first = False

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data.removeprefix("\n") if not self._textarea.value else data


def crawl_forms(client: Client, starts: list[str]) -> list[Form]:
    """Breadth-first walk of the app's same-site links; the POST forms on the pages."""
    seen, shapes = set(starts), Counter(_shape(u) for u in starts)
    queue, forms, pages = deque(starts), [], 0
    while queue and pages < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        pages += 1
        targets = _links(response, url)
        if response.status_code in (301, 302, 303, 307, 308):
            targets.append(urldefrag(urljoin(url, response["Location"]))[0])
        elif response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            parser = _Forms(url)
            parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
            forms += parser.forms
        for target in targets:
            if target.startswith(SKIP_PREFIXES) or target in seen:
                continue
            if shapes[_shape(target)] < MAX_PER_SHAPE:
                seen.add(target)
                shapes[_shape(target)] += 1
                queue.append(target)
    return forms


def _replace(pairs, name, value):
    return [(n, value if n == name else v) for n, v in pairs]


def mutations(form: Form, rng: random.Random):
    """(label, pairs) for each mutated submission of `form`."""
    base = form.pairs()
    names = [f.name for f in form.fields]
    counts = [n for n in names if COUNT_FIELD.match(n)]
    plain = [f for f in form.fields if f.name not in counts and f.name != "csrfmiddlewaretoken"]
    text = [f.name for f in plain if f.kind in TEXT_TYPES]
    numeric = [f.name for f in plain if f.kind in ("number", "select", "hidden", "range")]
    dates = [f.name for f in plain if f.kind in ("date", "datetime-local", "month", "time")]

    def some(pool, k=FIELDS_PER_KIND):
        pool = sorted(set(pool))
        return rng.sample(pool, min(k, len(pool)))

    yield "as the page has it", base
    for name in some(text, 3):
        yield f"NUL in {name}", _replace(base, name, "nul\x00byte")
    for name in some(text, 1):
        yield f"invalid UTF-8 in {name}", _replace(base, name, INVALID_UTF8)
    for name in some(text, 1):
        yield f"20,000 characters in {name}", _replace(base, name, "x" * 20_000)
    for name in some(numeric):
        for value in rng.sample(NUMBER_VALUES, 2):
            yield f"{value[:12]!r} in {name}", _replace(base, name, value)
    for name in dates:
        for value in rng.sample(DATE_VALUES, 3):
            yield f"{value} in {name}", _replace(base, name, value)
    prefixes = sorted({COUNT_FIELD.match(n)["prefix"] for n in counts})
    for prefix in prefixes:
        for suffix, value in COUNT_MUTATIONS:
            name = f"{prefix}-{suffix}"
            if value is None:
                yield f"no {name}", [(n, v) for n, v in base if n != name]
            else:
                yield f"{value} in {name}", _replace(base, name, value)
    if prefixes:
        name = f"{rng.choice(prefixes)}-TOTAL_FORMS"
        yield f"huge {name}", _replace(base, name, "99999999999")
    for name in some([f.name for f in plain], 2):
        yield f"no {name}", [(n, v) for n, v in base if n != name]
    for name in some(text, 1):
        yield f"{name} twice", [*base, (name, "second\x00value")]
    if len(text) > 1:
        yield "NUL in every text field", [(n, v + "\x00" if n in text else v) for n, v in base]
    if form.buttons:
        name, value = rng.choice(sorted(set(form.buttons)))
        yield (
            f"button {name}={value} with negative counts",
            [
                *[(n, "-5" if n in counts else v) for n, v in base],
                (name, value),
            ],
        )


def _encode(pairs) -> str:
    def quote(value):
        return quote_from_bytes(value) if isinstance(value, bytes) else quote_plus(value)

    return "&".join(f"{quote_plus(n)}={quote(v)}" for n, v in pairs)


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=StringIO())


def _fuzz(client: Client, persona: str, forms: list[Form], done: set) -> tuple[list, int]:
    problems, posts = [], 0
    for form in forms:
        if urlsplit(form.action).path.startswith(SKIP_ACTIONS) or form.key() in done:
            continue
        done.add(form.key())
        rng = random.Random(f"{persona}:{form.key()}")
        path = urlsplit(form.action).path + (
            f"?{urlsplit(form.action).query}" if urlsplit(form.action).query else ""
        )
        for label, pairs in mutations(form, rng):
            before = db_fingerprint()
            response = client.post(
                path, data=_encode(pairs), content_type="application/x-www-form-urlencoded"
            )
            posts += 1
            where = f"{persona or 'anonymous'} POST {path} ({label}, form on {form.page})"
            if response.status_code >= 500:
                exc = getattr(response, "exc_info", None)
                problems.append(f"{where}: {response.status_code} {exc[1]!r}" if exc else where)
                continue
            refused = 400 <= response.status_code < 500 or (
                response.status_code == 200 and not path.startswith(SUCCESS_200)
            )
            if refused:
                changed = set(changed_tables(before, db_fingerprint())) - AUDITED_REFUSALS
                if changed:
                    problems.append(
                        f"{where}: refused with {response.status_code} but changed "
                        f"{sorted(changed)}"
                    )
    return problems, posts


def _fire_the_rbac_initiative() -> list[str]:
    """Fire the demo's RBAC trigger; the pages of what it fired and flagged."""
    from adr.models import Decision
    from triggers.demo import RBAC
    from triggers.models import Initiative, Trigger
    from triggers.services import initiative_set_status

    admin = get_user_model().objects.get(username="admin")
    rbac = Initiative.objects.get(name=RBAC)
    initiative_set_status(actor=admin, initiative=rbac, status=Initiative.Status.DONE)
    fired = Trigger.objects.filter(state=Trigger.State.FIRED)
    flagged = Decision.objects.filter(needs_review=True).select_related("log")
    assert fired.exists() and flagged.exists()
    return [f"/triggers/{t.pk}/" for t in fired] + [f"/decisions/{d.reference}/" for d in flagged]


def test_mutated_posts_to_every_form_never_give_a_server_error_or_a_change(seeded):
    User = get_user_model()
    problems, posts, forms_seen, done = [], 0, set(), set()
    starts = ["/"]
    for persona in PERSONAS:
        if persona == "alice":
            starts = _fire_the_rbac_initiative() + starts
        client = Client(REMOTE_ADDR="192.0.2.77", raise_request_exception=False)
        if persona:
            client.force_login(User.objects.get(username=persona))
        forms = crawl_forms(client, starts)
        forms_seen |= {f.key()[0] for f in forms}
        found, count = _fuzz(client, persona, forms, done)
        problems += found
        posts += count
    # The crawl really reached the app's forms.
    for path in (
        "/decisions/new/",
        "/decisions/K-N/edit/",
        "/risks/new/",
        "/triggers/new/",
        "/risks/N/sign/",
        "/triggers/N/acknowledge/",
        "/decisions/K-N/reviewed/",
        "/accounts/profile/",
        "/accounts/login/",
        "/accounts/password-reset/",
    ):
        assert path in forms_seen, f"{path} not in {sorted(forms_seen)}"
    assert posts > 250, posts
    assert not problems, f"{len(problems)} of {posts} posts:\n" + "\n".join(problems)
    print(f"form fuzzer: {posts} posts to {len(done)} forms, 0 server errors")
