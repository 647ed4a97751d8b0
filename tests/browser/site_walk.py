"""Walk the whole site in Chromium as one demo persona: the pages it can reach by
following visible links, what each page offers (links, GET forms, POST buttons), and
axe-core, vendored into the test run (never into the product).

axe-core comes from npm, installed from the test set-up into tests/browser/.node/
(git-ignored). Without npm or network the tests that need it are skipped with the
reason; with LEDGER_REQUIRE_SERVICES=1 that is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import _missing
from tests.support.npm import npm_install

NODE_DIR = Path(__file__).parent / ".node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"

# Personas of `seed_demo` (username, password) for each role the tests walk as.
ROLES = {
    "architect": ("alice", "alice-architect-2026"),
    "stakeholder": ("sam", "sam-risk-owner-2026"),
    "auditor": ("audrey", "audrey-auditor-2026"),
    "staff": ("admin", "admin-ledger-2026"),
}

# Not our pages (Django admin, the API and its Swagger UI, the demo JSON peer): their
# links are checked for status, but the walk does not descend into them.
FOREIGN_PREFIXES = ("/admin/", "/api/", "/demo/", "/static/", "/hooks/")
# Posting these would end the walk's own session; nothing else is skipped.
NOT_SUBMITTED = ("/accounts/logout/",)
# Pages of one type rendered per persona (different instances show different states).
PER_TYPE = 3
# Page types every persona's walk must reach (by following links), so that a page
# unlinked by mistake fails the walk rather than silently escaping its checks.
REQUIRED_PAGE_TYPES = ("adr:log-detail", "adr:log-map", "adr:decision-detail")


def require_axe() -> str:
    """The source of axe-core, installing it into tests/browser/.node/ on first use."""
    npm_install(NODE_DIR, ["axe-core@4"], expect=AXE_JS, missing=_missing, timeout=180)
    return AXE_JS.read_text(encoding="utf-8")


def seed_demo() -> None:
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def page_type(path: str) -> str | None:
    """The URL name a path resolves to (one 'page type'), or None if not ours."""
    if path.startswith(FOREIGN_PREFIXES):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def login(context, base_url: str, role: str):
    username, password = ROLES[role]
    pg = context.new_page()
    pg.goto(f"{base_url}/accounts/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.click("button[type=submit]")
    pg.wait_for_load_state()
    assert "/accounts/login/" not in pg.url, f"login as {username} failed"
    return pg


# axe-core's critical and serious violations, one line each (the first nodes named).
AXE_RUN = """
async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
         v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}
"""


# What a person can act on in the page as rendered: visible links, GET forms and POST
# buttons. Closed <details> are opened first: a person can open them too.
OFFERS_JS = """
() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const shown = el => {
    if (!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) return false;
    return getComputedStyle(el).visibility !== 'hidden';
  };
  const links = [...document.querySelectorAll('a[href]')].filter(shown)
    .map(a => new URL(a.getAttribute('href'), location.href).href)
    .filter(h => h.startsWith(location.origin));
  const forms = [];
  for (const f of document.querySelectorAll('form')) {
    const submitters = [...f.querySelectorAll('button:not([type=button]), input[type=submit]')]
      .filter(shown);
    if (!submitters.length) continue;
    const data = [];
    for (const el of f.elements) {
      if (!el.name || el.disabled) continue;
      if (['submit', 'button', 'file', 'reset'].includes(el.type)) continue;
      if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) continue;
      if (el.tagName === 'SELECT' && el.multiple) {
        for (const o of el.selectedOptions) data.push([el.name, o.value]);
        continue;
      }
      data.push([el.name, el.value]);
    }
    for (const s of submitters) {
      const action = s.getAttribute('formaction') ? s.formAction : f.action;
      const method = (s.getAttribute('formmethod') || f.getAttribute('method') || 'get')
        .toLowerCase();
      const extra = s.name ? [[s.name, s.value]] : [];
      const label = (s.innerText || s.value || '').trim();
      forms.push({method, action, data: data.concat(extra), label});
    }
  }
  return {links: [...new Set(links)], forms};
}
"""


@dataclass
class Walk:
    """Pages rendered (path → page type) and everything offered on them."""

    pages: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # href → page it was on
    forms: list[dict] = field(default_factory=list)


def walk(pg, base_url: str, on_page=None) -> Walk:
    """Breadth-first from the home page through visible links; `on_page(pg, path)` runs on
    every page rendered (at most PER_TYPE of each type)."""
    result = Walk()
    per_type: dict[str, int] = {}
    queue = ["/"]
    seen: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        kind = page_type(urlsplit(path).path)
        if kind is None or per_type.get(kind, 0) >= PER_TYPE:
            continue
        try:
            response = pg.goto(base_url + path)
        except PlaywrightError as exc:
            if "Download is starting" in str(exc):  # an export: its status is checked apart
                continue
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        here = pg.url[len(base_url) :]
        kind = page_type(urlsplit(here).path) or kind
        per_type[kind] = per_type.get(kind, 0) + 1
        result.pages[here] = kind
        if on_page is not None:
            on_page(pg, here)
        offers = pg.evaluate(OFFERS_JS)
        for href in offers["links"]:
            target = href[len(base_url) :].split("#")[0] or "/"
            result.links.setdefault(target, here)
            if target not in seen:
                queue.append(target)
        for form in offers["forms"]:
            form["page"] = here
            result.forms.append(form)
            if form["method"] == "get":  # a search or a filter: its result page is a page too
                target = form["action"][len(base_url) :].split("?")[0]
                query = urlencode([tuple(pair) for pair in form["data"] if pair[1]])
                queue.append(f"{target}?{query}" if query else target)
    return result
