"""A person at a browser, without the browser: log in, load a form, change a field, post it.

The form is read from the page as a browser would submit it (every input, textarea and
select with its current value, hidden fields included), so whatever the page carries —
the CSRF token, the digest being signed, a version number — goes back with the post.
"""

from __future__ import annotations

from html.parser import HTMLParser

import requests

TIMEOUT = (5, 60)  # connect, read: a killed worker shows as a reset, not as a hang


class _Forms(HTMLParser):
    """Every <form method=post>: its action and its fields as a browser would post them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._option: str | None = None  # value of a selected option being read
        self._select_first: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                          "fields": []}  # fmt: skip
            self.forms.append(self._form)
            return
        if self._form is None or ("name" not in a and tag != "option"):
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
            self._select_first = None
            self._form.setdefault("_selected", {})[a["name"]] = "multiple" in a
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = (self._select, value)
            if "selected" in a:
                fields.append((self._select, value))

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            name, text = self._form["fields"][-1]
            self._form["fields"][-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea is not None and self._form is not None:
                name, text = self._form["fields"][-1]
                # A browser drops the single newline right after <textarea>.
                self._form["fields"][-1] = (name, text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "select" and self._form is not None and self._select is not None:
            multiple = self._form["_selected"][self._select]
            chosen = any(name == self._select for name, _ in self._form["fields"])
            if not chosen and not multiple and self._select_first is not None:
                self._form["fields"].append(self._select_first)  # a browser posts the first
            self._select = None
        elif tag == "form":
            self._form = None


def post_form(html: str, *, containing: str) -> dict | None:
    """The first POST form whose fields include `containing` (a field name or suffix)."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if form["method"] == "post" and any(n.endswith(containing) for n, _ in form["fields"]):
            return form
    return None


class Person:
    """One logged-in session against the web server."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.http = requests.Session()
        self.logged_in = False

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def get(self, path: str) -> requests.Response:
        self.ensure_login()
        return self.http.get(self.url(path), timeout=TIMEOUT)

    def ensure_login(self) -> None:
        if self.logged_in:
            return
        page = self.http.get(self.url("/accounts/login/"), timeout=TIMEOUT)
        form = post_form(page.text, containing="csrfmiddlewaretoken")
        if form is None:
            raise RuntimeError(f"no login form for {self.username}: HTTP {page.status_code}")
        data = dict(form["fields"])
        data.update(username=self.username, password=self.password)
        done = self.http.post(self.url("/accounts/login/"), data=data, timeout=TIMEOUT,
                              headers={"Referer": self.url("/accounts/login/")})  # fmt: skip
        if "/accounts/login/" in done.url:
            raise RuntimeError(f"login refused for {self.username}: HTTP {done.status_code}")
        self.logged_in = True

    def submit(self, path: str, *, containing: str, change: dict[str, str]) -> requests.Response:
        """Load the page at `path`, fill the form that has `containing`, post it.

        `change` maps a field name (or a unique suffix of it) to its new value.
        """
        page = self.get(path)
        page.raise_for_status()
        form = post_form(page.text, containing=containing)
        if form is None:
            raise LookupError(f"{path}: no form with {containing!r} (HTTP {page.status_code})")
        fields = list(form["fields"])
        for key, value in change.items():
            names = [n for n, _ in fields if n == key] or [n for n, _ in fields if n.endswith(key)]
            name = names[0] if names else key
            fields = [(n, v) for n, v in fields if n != name] + [(name, value)]
        target = self.url(form["action"] or page.url)
        return self.http.post(target, data=fields, timeout=TIMEOUT, headers={"Referer": page.url})
