"""Assertions on the Content-Security-Policy header, shared by the platform tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

NONCE_RE = re.compile(r"'nonce-([A-Za-z0-9+/=_-]+)'")


def parse_policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives[tokens[0].lower()] = tokens[1:]
    return directives


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        self.inline_handlers += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]


def csp_problems(response, url: str) -> list[str]:
    """Everything wrong with the CSP of one response (empty list: all good).

    Every response carries the strict policy. A page that renders a script tag gets
    a nonce in `script-src`, and each of its inline scripts carries that nonce.
    """
    header = response.get("Content-Security-Policy")
    if not header:
        return [f"{url} ({response.status_code}): no Content-Security-Policy header"]
    problems = []
    policy = parse_policy(header)
    for directive, expected in (
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
    ):
        if policy.get(directive) != expected:
            problems.append(f"{url}: {directive} is {policy.get(directive)}, not {expected}")
    script_src = policy.get("script-src", [])
    if "'self'" not in script_src:
        problems.append(f"{url}: script-src lacks 'self': {script_src}")
    if "'unsafe-inline'" in header or "'unsafe-eval'" in header:
        problems.append(f"{url}: policy allows unsafe-inline/unsafe-eval: {header}")
    if any(src in ("*", "http:", "https:") for src in script_src):
        problems.append(f"{url}: script-src allows any host: {script_src}")
    nonces = NONCE_RE.findall(" ".join(script_src))

    content_type = response.get("Content-Type", "")
    streaming = getattr(response, "streaming", False)
    if "text/html" in content_type and not streaming:
        parser = _Scripts()
        parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
        if parser.inline_handlers:
            problems.append(f"{url}: inline event handlers {parser.inline_handlers[:3]}")
        if any(s.get("nonce") for s in parser.scripts) and not nonces:
            problems.append(f"{url}: the page uses a nonce but script-src has none")
        for script in parser.scripts:
            src = script.get("src") or ""
            if src and (not src.startswith("/") or src.startswith("//")):
                problems.append(f"{url}: a script from another origin: {src}")
            if src and not script.get("nonce"):
                continue  # a same-origin file, allowed by 'self'
            if script.get("type") in ("application/json", "application/ld+json"):
                continue  # data, not executed
            if script.get("nonce") not in nonces:
                problems.append(f"{url}: a script tag without the response's nonce: {script}")
    return problems


def assert_csp(response, url: str) -> None:
    problems = csp_problems(response, url)
    assert not problems, "\n".join(problems)
