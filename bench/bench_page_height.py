"""Height of the need page in headless Chromium, as the demo officer of 塩尻市 sees it (issue 11: 15,600 px).

    python bench/bench_page_height.py http://127.0.0.1:5000            # every need of the officer's list
    python bench/bench_page_height.py http://127.0.0.1:5000 /needs/1   # one need

Run it against a dev server with the demo (`flask demo`); prints the page's scrollHeight and scrollWidth at
1280 and 390 px wide, in Japanese. Numbers, not a test (tests/browser/test_daily_journeys.py checks a bound).
"""
from __future__ import annotations

import re
import sys

from playwright.sync_api import sync_playwright

WIDTHS = (1280, 390)


def main(base: str, paths: list[str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_context(base_url=base, locale="ja-JP", viewport={"width": 1280, "height": 900}).new_page()
        page.goto("/account/login")
        page.fill("input[name=email]", "shiojiri@demo.example.jp")
        page.fill("input[name=password]", "demo-password")
        page.click("main form button[type=submit]")
        if not paths:
            page.goto("/needs/")
            paths = sorted({h for h in page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
                            if h and re.fullmatch(r"/needs/\d+", h)})
        for path in paths:
            cells = []
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(path)
                height, scroll = page.evaluate(
                    "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
                cells.append(f"{width}px: {height:>6,} px tall, {scroll} px wide")
            print(f"{path:<12} " + " | ".join(cells))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
