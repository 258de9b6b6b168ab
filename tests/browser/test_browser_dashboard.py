"""The supply-and-demand dashboards in headless Chromium: the admin's nation, the bureau's region and the
prefecture's own dashboard, each with its map, charts and tables, in Japanese and English, at 1280 and 390 px;
a prefecture on the map and a number of the heat map lead on, and a bad period is refused next to the field.
Screenshots: tests/screenshots/dashboard_<scope>_<width>_<lang>.png.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import t, with_lang
from tests.browser.test_browser_journeys import DEMO_PASSWORD, log_in, shoot

pytestmark = pytest.mark.browser

DASHBOARDS = [("admin@demo.example.jp", "nation", "/dashboard/nation/", "全国"),
              ("bureau@demo.example.jp", "bureau", "/dashboard/bureau/shinetsu/", "信越総合通信局"),
              ("nagano@demo.example.jp", "prefecture", "/dashboard/prefecture/20/", "長野県")]


def _check_page(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Supply and demand: %(scope)s", scope=name))
    for heading in ("Supply against demand", "Unmet demand", "Whom to recruit: skills in short supply",
                    "From posting to engagement", "Adviser dispatch"):
        expect(page.get_by_role("heading", name=t(heading))).to_be_visible()
    assert page.locator("figure.chart svg").count() >= 5
    expect(page.locator("#table-supply")).to_be_visible()
    # No horizontal scroll of the page itself, at either width.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("email,scope,url,name", DASHBOARDS, ids=[d[1] for d in DASHBOARDS])
def test_each_dashboard(new_page, screenshots, email, scope, url, name):
    page = new_page()
    log_in(page, email, DEMO_PASSWORD)
    page.get_by_role("link", name=t("Supply and demand")).first.click()
    expect(page).to_have_url(__import__("re").compile(url.replace("/", r"\/") + r"$"))
    _check_page(page, name)
    shoot(page, screenshots, f"dashboard_{scope}_1280", "ja")
    page.set_viewport_size({"width": 390, "height": 844})
    _check_page(page, name)
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 160
    shoot(page, screenshots, f"dashboard_{scope}_390", "ja")
    page.goto(with_lang(url, "en"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Supply and demand")
    shoot(page, screenshots, f"dashboard_{scope}_390", "en")
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, screenshots, f"dashboard_{scope}_1280", "en")
    page.goto(with_lang(url, "ja"))


def test_the_bureau_follows_a_prefecture_and_a_number(new_page):
    page = new_page()
    log_in(page, "bureau@demo.example.jp", DEMO_PASSWORD)
    page.goto("/dashboard/bureau/shinetsu/?from=2026-04-01&to=2026-12-01")
    page.locator("#table-supply").get_by_role("link", name="長野県").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Supply and demand: %(scope)s", scope="長野県"))
    assert "from=2026-04-01" in page.url
    cell = page.locator("#table-stage_field a").first
    if cell.count():
        page.get_by_text(t("The numbers as a table")).click()
        cell.click()
        expect(page.get_by_role("heading", name=t("Needs behind the number"))).to_be_visible()
        expect(page.locator("table.stack-table tbody tr").first).to_be_visible()
    # A period that ends before it starts: the form again, the error by the field.
    page.goto("/dashboard/bureau/shinetsu/?from=2026-12-01&to=2026-04-01")
    expect(page.get_by_text(t("The end of the period comes before its start."))).to_be_visible()


def test_municipal_staff_have_no_dashboard(new_page):
    page = new_page()
    log_in(page, "shiojiri@demo.example.jp", DEMO_PASSWORD)
    expect(page.get_by_role("link", name=t("Supply and demand"))).to_have_count(0)
    assert page.request.get("/dashboard/prefecture/20/").status == 403
