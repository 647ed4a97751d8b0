"""Take the README screenshots of the case-study decision in real headless Chromium.

Writes docs/screenshot.png (top of the decision page) and docs/screenshot-matrix.png
(its decision matrix). Usage, with `make run` serving the demo:
    .venv/bin/python docs/take_screenshot.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
DOCS = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{BASE}/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "alice-architect-2026")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{BASE}/decisions/AUTH-1/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(DOCS / "screenshot.png"))
        box = page.locator("h2", has_text="Decision matrix").first.bounding_box()
        page.screenshot(
            path=str(DOCS / "screenshot-matrix.png"),
            full_page=True,
            clip={"x": 0, "y": box["y"] - 16, "width": 1280, "height": 1180},
        )
        browser.close()
    print(f"wrote {DOCS / 'screenshot.png'} and {DOCS / 'screenshot-matrix.png'}")


if __name__ == "__main__":
    main()
