"""Every role's key pages fit a phone and a desktop: at 390 px and 1280 px wide (Japanese, and English on the
phone, whose labels are longer) no page scrolls sideways and the header stays under 160 px, as Chromium lays
them out. Screenshots: tests/screenshots/layout_<role>_<page>_<width>_<lang>.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from tests.browser.conftest import CHROMIUM_ARGS, TIMEOUT_MS  # noqa: F401  (same browser setup)
from tests.browser.test_browser_journeys import DEMO_PASSWORD, OFFICER
from tests.browser.support import t

pytestmark = pytest.mark.browser

HEADER_MAX_PX = 160
VIEWS = [(390, "ja"), (390, "en"), (1280, "ja")]
LOGINS = {"anon": None, "expert": "expert@demo.example.jp", "municipality": OFFICER,
          "bureau": "bureau@demo.example.jp", "admin": "admin@demo.example.jp"}

MEASURE = """() => {
  const doc = document.documentElement, header = document.querySelector('header.site-header');
  const wide = [];
  for (const el of document.querySelectorAll('main *, header *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > doc.clientWidth + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className}`);
    if (wide.length >= 3) break;
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
          header: header ? header.getBoundingClientRect().height : 0, wide};
}"""


@pytest.fixture(scope="module")
def key_pages(live_hub) -> dict[str, list[str]]:
    """The pages each role opens every day, with real ids of the demo."""
    from hub.db import get_session
    from hub.models import ExpertProfile, Need, Organization, User

    with live_hub.app.app_context():
        db = get_session()
        officer = db.scalar(select(User).where(User.email == OFFICER))
        need_id = db.scalar(select(Need.id).where(Need.organization_id == officer.organization_id,
                                                  Need.status == "open").order_by(Need.id))
        own = db.scalar(select(ExpertProfile.id).join(User).where(User.email == LOGINS["expert"]))
        other = db.scalar(select(ExpertProfile.id).where(ExpertProfile.listed.is_(True)).order_by(ExpertProfile.id))
        assert need_id and own and other and db.scalar(select(Organization.id))
    return {
        "anon": ["/", "/account/login", "/account/signup", "/account/signup/expert", "/account/signup/staff"],
        "expert": ["/experts/me", "/experts/me/profile/basics", "/experts/me/profile/skills",
                   "/experts/me/profile/work", "/experts/me/engagements", f"/experts/{own}", "/needs/", "/account/"],
        "municipality": ["/needs/", "/needs/new", f"/needs/{need_id}", f"/needs/{need_id}/edit", "/search/experts",
                         f"/experts/{other}"],
        "bureau": ["/needs/", f"/needs/{need_id}", "/admin/staff", "/search/experts"],
        "admin": ["/admin/staff", "/admin/users", "/admin/audit", f"/needs/{need_id}"],
    }


@pytest.mark.parametrize("role", list(LOGINS))
def test_key_pages_fit_phone_and_desktop_without_sideways_scroll(browser: Browser, live_hub, key_pages, screenshots,
                                                                  role):
    problems = []
    for width, lang in VIEWS:
        context = browser.new_context(base_url=live_hub.url, locale="ja-JP", viewport={"width": width, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            if LOGINS[role]:
                page.goto(f"/account/login?lang={lang}")
                page.locator("#email").fill(LOGINS[role])
                page.locator("#password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name=t("Log in", lang)).click()
                page.wait_for_url(lambda url: "/account/login" not in url)  # signed in, at their home page
            for path in key_pages[role]:
                response = page.goto(f"{path}?lang={lang}")
                assert response is not None and response.status == 200, f"{role} {path}: {response and response.status}"
                got = page.evaluate(MEASURE)
                where = f"{role} {path} at {width} px ({lang})"
                if got["scrollWidth"] > got["clientWidth"]:
                    problems.append(f"{where}: {got['scrollWidth']} px wide in a {got['clientWidth']} px window "
                                    f"(too wide: {', '.join(got['wide'])})")
                if not 0 < got["header"] < HEADER_MAX_PX:
                    problems.append(f"{where}: header {got['header']:.0f} px high")
                if width == 390 or path == key_pages[role][0]:
                    name = path.strip("/").replace("/", "_") or "home"
                    page.screenshot(path=str(screenshots / f"layout_{role}_{name}_{width}_{lang}.png"))
        finally:
            context.close()
    assert problems == []
