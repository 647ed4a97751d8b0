"""Retake the README screenshots in headless Debian Chromium (Playwright), logged in as
the demo users, at desktop (1366 px) and phone (390 px) widths.

    .venv/bin/python docs/screenshots.py                 # against `make run` on :8000
    .venv/bin/python docs/screenshots.py --base http://127.0.0.1:8001
    .venv/bin/python docs/screenshots.py --serve         # start a server of its own

`--serve` migrates and seeds the database of the environment (DATABASE_URL, default the
SQLite file under var/) and runs `manage.py runserver` on a free port for the duration.
Writes docs/screenshots/<page>-<width>.png: the decision page and its matrix (as Alice,
architect), the home page (as Sofia, stakeholder: what waits for her), the decision map
of the AUTH log, and the decision editor's live matrix. Viewport shots at a device scale
of 1 keep each PNG small.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = [{"width": 1366, "height": 860}, {"width": 390, "height": 844}]
# Demo personas of `seed_demo` (adr/demo.py, config/accounts): username → password.
USERS = {"alice": "alice-architect-2026", "sofia": "sofia-security-2026"}
# (file stem, user, path, what to frame: None for the top of the page, else a heading
# put at the top; full: the whole page, for the map whose two drawings are both wanted).
SHOTS = [
    ("decision", "alice", "/decisions/AUTH-1/", None, False),
    ("matrix", "alice", "/decisions/AUTH-1/", "Decision matrix", False),
    ("home", "sofia", "/", None, False),
    ("map", "alice", "/decisions/logs/AUTH/map/", None, True),
    ("editor", "alice", "/decisions/AUTH-1/edit/", "The grid", False),
]
# A full-page shot stops here (px): long pages would make large files.
MAX_HEIGHT = 1600

SCROLL_TO = "(el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 16)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        # Only http(s): the URL is ours (--base or the server this script started).
        if not url.startswith(("http://", "https://")):
            raise SystemExit(f"not an http(s) URL: {url}")
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - scheme checked above
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def serve() -> tuple[subprocess.Popen, str]:
    """Migrate, seed the demo and start runserver; the caller stops it."""
    python = sys.executable
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
    }
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        # Our own manage.py with fixed arguments.
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(f"{base}/accounts/login/"):  # a script, not a test: polling is fine
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"the server on {base} did not start")
        time.sleep(0.3)
    return server, base


def take(base: str) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for viewport in WIDTHS:
            pages = {}
            for user, password in USERS.items():
                context = browser.new_context(
                    viewport=viewport,
                    device_scale_factor=1,
                    locale="en-GB",
                    timezone_id="Europe/Berlin",
                    color_scheme="light",
                    reduced_motion="reduce",
                )
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", password)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                if "/accounts/login/" in page.url:
                    raise SystemExit(f"could not log in as {user}: is the demo seeded?")
                pages[user] = page
            for stem, user, path, heading, full in SHOTS:
                page = pages[user]
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                if heading:  # the heading at the top of the viewport, 16 px below the edge
                    target = page.get_by_role("heading", name=heading).first.element_handle()
                    page.evaluate(SCROLL_TO, target)
                else:
                    page.evaluate("window.scrollTo(0, 0)")
                out = OUT / f"{stem}-{viewport['width']}.png"
                if full:
                    height = min(page.evaluate("document.body.scrollHeight"), MAX_HEIGHT)
                    clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
                    page.screenshot(path=str(out), full_page=True, clip=clip)
                else:
                    page.screenshot(path=str(out))
                written.append(out)
            for page in pages.values():
                page.context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="a running server")
    parser.add_argument("--serve", action="store_true", help="start a server of its own")
    options = parser.parse_args()
    server = None
    base = options.base.rstrip("/")
    if options.serve:
        server, base = serve()
    elif not _answers(f"{base}/accounts/login/"):
        raise SystemExit(f"nothing answers on {base}: run `make run`, or pass --serve")
    try:
        for path in take(base):
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
