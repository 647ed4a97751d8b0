"""Take docs/screenshot.png: the case-study decision in real headless Chromium.

Usage (with `make run` serving on PORT, default 8000):
    .venv/bin/python docs/take_screenshot.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).with_name("screenshot.png")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(f"{BASE}/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "alice-architect-2026")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{BASE}/decisions/AUTH-1/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT), full_page=False)
        browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
