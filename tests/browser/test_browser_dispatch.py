"""A dispatch in headless Chromium, from the request of a local business through assignment, report and the
follow-up survey: the business asks the hub function which route fits and starts the pre-filled request with its
recommending municipality; the bureau reviews, approves, assigns the best-ranked adviser, fixes the date, marks
it done and files the report; a fiscal year later the business answers the follow-up. Screenshots of each key
page in Japanese and English: tests/screenshots/dispatch_<page>_<lang>.png.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import t, with_lang
from tests.browser.test_browser_journeys import DEMO_PASSWORD, labelled, log_in, shoot

pytestmark = pytest.mark.browser

BUREAU = "bureau@demo.example.jp"
BUSINESS = "seiki@business.demo.example.jp"
THEME = "工場の設備データを生かす新事業の立ち上げ（ブラウザ試験）"


@pytest.fixture
def business_login(live_hub):
    """Approved staff of 株式会社 信濃精機製作所, a local business of 長野県 (the demo has no such login)."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from hub.db import get_session, utcnow
    from hub.models import Organization, User

    with live_hub.app.app_context():
        session = get_session()
        if session.scalar(select(User).where(User.email == BUSINESS)) is None:
            org = session.scalar(select(Organization).where(Organization.kind == "business",
                                                            Organization.prefecture_code == "20"))
            session.add(User(email=BUSINESS, password_hash=generate_password_hash(DEMO_PASSWORD), role="org_staff",
                             display_name="信濃精機 DX担当", organization=org, locale="ja", approved_at=utcnow(),
                             verified_at=utcnow()))
            session.commit()
    return BUSINESS


def _skill_of(live_hub, name: str, item: str) -> tuple[str | None, int]:
    """The adviser's (source, rating count) of one skill item, read from the live hub's database."""
    from sqlalchemy import select

    from hub.db import get_session
    from hub.models import ExpertProfile, ExpertSkill

    with live_hub.app.app_context():
        session = get_session()
        expert_id = session.scalar(select(ExpertProfile.id).where(ExpertProfile.name == name))
        row = session.scalar(select(ExpertSkill).where(ExpertSkill.expert_id == expert_id,
                                                       ExpertSkill.skill_id == item))
        return (row.source, row.rating_count or 0) if row else (None, 0)


def both(page: Page, shots, name: str, english: str) -> None:
    """Shoot in Japanese, then the same page in English (checking a heading), then back to Japanese."""
    shoot(page, shots, f"dispatch_{name}", "ja")
    url = page.url
    page.goto(with_lang(url, "en"))
    expect(page.get_by_role("heading", name=english).first).to_be_visible()
    shoot(page, shots, f"dispatch_{name}", "en")
    page.goto(with_lang(url, "ja"))


def step(page: Page, button: str) -> None:
    page.get_by_role("button", name=t(button), exact=True).first.click()


def test_a_local_business_dispatch_from_request_to_follow_up(new_page, live_hub, business_login, screenshots,
                                                             monkeypatch):
    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2026, 10, 5))  # an application window

    business = new_page()
    log_in(business, BUSINESS, DEMO_PASSWORD)
    business.goto("/dispatch/routing")
    labelled(business, t("What do you need?")).fill(THEME)
    labelled(business, t("Who is asking?")).select_option("business")
    labelled(business, t("How long (months)?")).fill("1")
    labelled(business, t("Days on site a month")).fill("2")
    labelled(business, t("Hours a month")).fill("16")
    business.get_by_role("button", name=t("Check the routes")).click()
    adviser_route = business.locator("article.route").first
    expect(adviser_route).to_contain_text("地域情報化アドバイザー派遣")
    expect(adviser_route).to_contain_text(t("Fits"))
    expect(business.locator("article.route.no-fit").first).to_contain_text(t("Does not fit"))
    both(business, screenshots, "routing", "Which route fits?")

    adviser_route.get_by_role("link", name=t("Start a dispatch request")).click()
    expect(labelled(business, t("Theme"))).to_have_value(THEME)
    both(business, screenshots, "request_form", "Request an adviser")  # as the routing answer pre-filled it
    labelled(business, t("Purpose")).select_option("project_formation")
    labelled(business, t("Stage of the project")).select_option("problem_identification")
    labelled(business, t("Wanted from")).fill("2026-10-01")
    labelled(business, t("Wanted until")).fill("2026-10-20")
    labelled(business, t("Days on site")).fill("4")
    labelled(business, t("Recommended by")).select_option(label="長野県塩尻市")
    step(business, "Submit the request")
    expect(business.get_by_role("alert")).to_contain_text("現地での支援は1件につき3日までです。")  # the rule, named
    expect(labelled(business, t("Theme"))).to_have_value(THEME)  # nothing typed is lost
    labelled(business, t("Days on site")).fill("2")
    shoot(business, screenshots, "dispatch_request_refused", "ja")
    step(business, "Submit the request")
    expect(business.get_by_role("status").filter(has_text=THEME)).to_be_visible()
    request_url = business.url
    assert re.search(r"/dispatch/\d+$", request_url)

    bureau = new_page()
    log_in(bureau, BUREAU, DEMO_PASSWORD)
    bureau.goto("/bureau/")
    expect(bureau.get_by_role("link", name=THEME)).to_be_visible()
    both(bureau, screenshots, "bureau_home", re.compile("Shinetsu"))
    bureau.get_by_role("link", name=THEME).first.click()
    step(bureau, "Take up for review")
    step(bureau, "Approve")
    expect(bureau.get_by_role("heading", name=t("Advisers ranked for this request"))).to_be_visible()
    first = bureau.locator("ol.candidates > li").first
    expect(first.locator("ul.explain")).to_be_visible()  # the same explanation as a need's candidates
    adviser_name = first.locator(".who strong").inner_text()
    both(bureau, screenshots, "ranked_advisers", THEME)
    first.get_by_role("button", name=re.compile(t("Assign"))).click()
    expect(bureau.get_by_role("status").filter(has_text=t("Adviser assigned."))).to_be_visible()
    bureau.locator("#schedule-day").fill("2026-10-02")
    step(bureau, "Fix the date")
    bureau.locator("#done-day").fill("2026-10-02")
    step(bureau, "Mark the support done")
    bureau.locator("textarea#report").fill("設備の稼働データの取り方を整理し、小さな実証から始める計画を助言した。")
    step(bureau, "File the report")
    expect(bureau.get_by_role("status").filter(has_text=t("Report filed."))).to_be_visible()

    monkeypatch.setattr("hub.services.dispatch.today", lambda: date(2027, 4, 10))  # the next fiscal year
    business.goto(request_url)
    expect(business.locator(".advisers, section").filter(has_text=adviser_name).first).to_be_visible()
    business.get_by_role("link", name=t("Answer the follow-up survey")).click()
    both(business, screenshots, "follow_up", "Follow-up survey")
    labelled(business, t("What came of the support?")).fill("助言をもとに実証を始め、稼働率が上がった。")
    part = business.locator("fieldset.adviser-evaluation").filter(has_text=adviser_name)
    expect(part.locator("table.skill-rows")).to_contain_text("顧客・ユーザー理解")  # a stage item, rated as on a need
    step(business, "Send the answers")  # no overall rating yet: refused, what was typed is kept
    expect(part.get_by_role("alert")).to_contain_text(t("Choose an overall rating."))
    expect(labelled(business, t("What came of the support?"))).to_have_value("助言をもとに実証を始め、稼働率が上がった。")
    before = _skill_of(live_hub, adviser_name, "user_understanding")
    part.locator("fieldset.overall").get_by_label("5", exact=True).check()
    part.get_by_label("顧客・ユーザー理解", exact=True).select_option("5")
    labelled(part, t("Would you engage this expert again?")).select_option("yes")
    step(business, "Send the answers")
    expect(business.get_by_role("status").filter(has_text=t("Thank you: the follow-up is recorded."))).to_be_visible()
    expect(business.locator(".timeline li.now")).to_have_text("追跡調査回答済み")  # enums.yaml
    after = _skill_of(live_hub, adviser_name, "user_understanding")
    assert after[0] == "verified" and after[1] == before[1] + 1  # the rating feeds the adviser's verified skills
    both(business, screenshots, "done", THEME)
