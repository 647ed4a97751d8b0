"""Helpers for the decision log tests: a browser-like reader of the edit form."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from adr import services


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the page's #decision-form (or first
    POST form): inputs, checked boxes, selected options and textareas."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, str] = {}
        self.in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first = False
        self._select_chosen = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post" and not self.data:
            self.in_form = a.get("id") == "decision-form" or not a.get("action")
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                self.data[name] = a.get("value", "") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select, self._select_chosen, self._select_first = name, False, False
            self.data[name] = ""
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a:
                self.data[self._select] = value
                self._select_chosen = True
            elif not self._select_chosen and not self._select_first:
                # A browser submits the first option when none is selected.
                self.data[self._select] = value
            self._select_first = True

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.in_form:
            self.in_form = False

    def handle_data(self, data):
        if self._textarea:
            text = data[1:] if data.startswith("\n") and not self.data[self._textarea] else data
            self.data[self._textarea] += text


def form_values(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    return reader.data


@pytest.fixture
def read_form():
    """`read_form(client, url)` → the dict a browser would post from that page's form."""

    def _read(client, url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return form_values(response.content.decode())

    return _read


def build_decision(actor, log, *, title="Protect tokens", options=3, criteria=3, **fields):
    """A decision with `options` options and a full `criteria`×`options` scored matrix."""
    d = services.decision_create(actor=actor, log=log, title=title, **fields)
    opts = [
        services.option_save(actor=actor, decision=d, title=f"Option {i}", position=i)
        for i in range(options)
    ]
    crits = [
        services.criterion_save(actor=actor, decision=d, name=f"Criterion {i}", position=i)
        for i in range(criteria)
    ]
    for ci, crit in enumerate(crits):
        for oi, opt in enumerate(opts):
            services.cell_set(
                actor=actor, criterion=crit, option=opt, text=f"c{ci}o{oi}", score=(ci + oi) % 6
            )
    return d
