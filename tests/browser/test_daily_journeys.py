"""Everyday use in headless Chromium (issue 11): the compact card, staying in place after shortlisting, live
weights that are saved as shown, withdraw and remove, the comparison, closing with a reason, adding from the
search, and both sides hearing back (the officer's notifications, the expert's needs for you).

Each journey works on a need of its own (made here through the service verbs), so the order of the tests and
the other browser tests do not matter. Screenshots: tests/screenshots/daily_<page>_<lang>_<width>.png.
"""
from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.support import t, with_lang

pytestmark = pytest.mark.browser

OFFICER = "shiojiri@demo.example.jp"
EXPERT = "expert@demo.example.jp"
PASSWORD = "demo-password"
WIDTHS = (1280, 390)


def log_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label(re.compile(rf"^{re.escape(t('Email'))}")).fill(email)
    page.get_by_label(re.compile(rf"^{re.escape(t('Password'))}")).fill(PASSWORD)
    page.get_by_role("button", name=t("Log in")).click()
    expect(page.get_by_role("button", name=t("Log out"))).to_be_visible()


def wide(page: Page) -> list[str]:
    """The elements sticking out on the right, outside scrolling boxes (for the failure message)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e =>
        e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.compare-wrap'))
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .concat([...document.querySelectorAll('.compare-wrap, main, body')].map(e => e.tagName + ' ' +
          Math.round(e.getBoundingClientRect().width) + ' sw=' + e.scrollWidth + ' ' + getComputedStyle(e).overflowX))""")


def shoot_all(page: Page, shots, name: str) -> None:
    """The current page in ja and en at 1280 and 390 px, as one tall window; checks no horizontal scroll."""
    url, size = page.url, page.viewport_size
    for lang in ("ja", "en"):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(with_lang(url, lang))
            expect(page.locator("html")).to_have_attribute("lang", lang)
            page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, (name, lang, width, wide(page))
            height = page.evaluate("() => document.documentElement.scrollHeight")
            page.set_viewport_size({"width": width, "height": min(max(height, 900), 12000)})
            page.screenshot(path=str(shots / f"daily_{name}_{lang}_{width}.png"))
    page.set_viewport_size(size)
    page.goto(with_lang(url, "ja"))


@pytest.fixture
def workspace(live_hub):
    """A published need of 塩尻市 with three shortlisted experts, one of them asked for contact; and a
    contact request to the demo expert about it."""
    from hub.db import get_session
    from hub.models import ExpertProfile, Need, NeedSkill, NeedStage, Organization, User
    from hub.services import engagements, needs as need_verbs, shortlist

    app = live_hub.app
    with app.app_context(), app.test_request_context():
        session = get_session()
        officer = session.scalar(select(User).where(User.email == OFFICER))
        organization = session.get(Organization, officer.organization_id)
        data = need_verbs.NeedData(
            external_id=f"WD{uuid.uuid4().hex[:8].upper()}", title=f"窓口予約アプリの開発（日常{uuid.uuid4().hex[:4]}）",
            description="施設予約のウェブアプリとAPIを開発し、住民の窓口来庁を減らしたい。", stages=["development"],
            work_style="remote", hours_per_month=10, start=date(2027, 4, 1), end=date(2028, 3, 31),
            engagement_form="contract", required_skills={"backend_dev": 2}, nice_to_have_skills={"web_basics": 2},
            status="draft")
        need = need_verbs.save_need(session, officer, None, data, organization)
        need_verbs.publish_need(session, officer, need)
        outcome = app.extensions["hub.matcher"].rank(session, need, top_k=6)
        demo_expert = session.scalar(select(User).where(User.email == EXPERT)).expert
        ranked = [outcome.experts[m.expert_id] for m in outcome.matches if m.expert_id != demo_expert.id]
        entries = [shortlist.add_to_shortlist(session, officer, need, e) for e in ranked[:3]]
        engagements.request_contact(session, officer, entries[1], "ご相談させてください。")
        asked = shortlist.add_to_shortlist(session, officer, need, demo_expert)
        engagements.request_contact(session, officer, asked, "ご経験を伺いたいです。")
        session.commit()
        return {"need_id": need.id, "title": need.title, "names": [e.name for e in ranked[:3]],
                "entry_ids": [e.id for e in entries], "spare": ranked[3].id, "spare_name": ranked[3].name,
                "shortlisted": {e.id for e in ranked[:3]} | {demo_expert.id}}


def test_card_is_compact_shortlisting_stays_in_place_and_the_page_is_short(new_page, screenshots, workspace):
    page = new_page()
    log_in(page, OFFICER)
    url = f"/needs/{workspace['need_id']}"
    page.goto(url)
    cards = page.locator("ol.candidates > li")
    expect(cards.first).to_be_visible()
    first = cards.first
    expect(first.locator("details.more")).not_to_have_attribute("open", re.compile(".*"))
    expect(first.locator(".signals")).to_be_hidden()  # folded away until asked for
    first.locator("details.more > summary").click()
    expect(first.locator(".signals")).to_be_visible()

    # Shortlist the fourth candidate: the page comes back at that candidate, not at the shortlist far below.
    card = page.locator(f"#expert-{workspace['spare']}")
    card.get_by_role("button", name=re.compile(re.escape(t("Add to shortlist")))).click()
    expect(page.get_by_role("status").filter(has_text=workspace["spare_name"])).to_be_visible()
    assert page.url.endswith(f"#expert-{workspace['spare']}")
    page.wait_for_load_state("load")
    top = page.evaluate(f"() => document.getElementById('expert-{workspace['spare']}').getBoundingClientRect().top")
    assert -50 <= top <= 200, (top, page.evaluate("() => window.scrollY"), page.url)
    expect(page.locator(f"#expert-{workspace['spare']}").get_by_text(t("On the shortlist"))).to_be_visible()

    heights = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        heights[width] = page.evaluate("() => document.documentElement.scrollHeight")
    print("need page height:", heights)
    assert heights[1280] < 8000 and heights[390] < 15600  # it was 8,088 and 15,588 px with the same demo
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    shoot_all(page, screenshots, "need")


def test_weights_follow_the_slider_and_are_saved_as_shown(new_page, workspace, live_hub):
    page = new_page()
    log_in(page, OFFICER)
    page.goto(f"/needs/{workspace['need_id']}")
    slider = page.locator("#w_skill")
    start = int(slider.input_value())
    slider.focus()
    for _i in range(7):
        page.keyboard.press("ArrowRight")
    moved = str(start + 7)
    expect(page.locator("output[for=w_skill]")).to_have_text(moved)  # while dragging, before any re-rank
    expect(page.locator("#keep-weights output[data-weight-of=w_skill]")).to_have_text(moved)
    shown = {name: int(page.locator(f"#keep-weights input[name=w_{name}]").input_value())
             for name in ("skill", "semantic", "availability", "place", "record", "fee", "type")}
    assert shown["skill"] == int(moved)  # the form sends what the slider shows, not the last ranking's weights
    page.get_by_role("button", name=t("Keep these weights for this need")).click()
    expect(page.get_by_role("status").filter(has_text=t("These weights are now used for this need."))).to_be_visible()

    from hub.db import get_session
    from hub.models import Need
    with live_hub.app.app_context():
        weights = get_session().get(Need, workspace["need_id"]).weights
    total = sum(shown.values())
    assert all(abs(weights[name] - shown[name] / total) < 0.001 for name in shown), (weights, shown)


def test_withdraw_remove_and_compare_on_the_shortlist(new_page, screenshots, workspace):
    page = new_page()
    log_in(page, OFFICER)
    page.goto(f"/needs/{workspace['need_id']}#shortlist")
    asked, kept, gone = workspace["entry_ids"][1], workspace["entry_ids"][0], workspace["entry_ids"][2]
    asked_card = page.locator("article.entry").filter(has=page.locator(f"#entry-{asked}"))
    kept_card = page.locator("article.entry").filter(has=page.locator(f"#entry-{kept}"))
    expect(asked_card.locator(".badge.state")).to_have_text(re.compile(t("Contact requested")))
    expect(kept_card.locator(".badge.state")).to_have_text(re.compile(t("Shortlisted")))
    colours = [card.locator(".badge.state").evaluate("e => getComputedStyle(e).backgroundColor")
               for card in (asked_card, kept_card)]
    assert colours[0] != colours[1]  # 連絡依頼中 does not look like 候補リスト登録

    page.get_by_role("link", name=t("Compare side by side")).click()
    expect(page.get_by_role("heading", name=t("Compare the shortlist"))).to_be_visible()
    for name in workspace["names"]:
        expect(page.locator("table.compare thead")).to_contain_text(name)
    shoot_all(page, screenshots, "compare")

    page.goto(f"/needs/{workspace['need_id']}#shortlist")
    asked_card.get_by_role("button", name=re.compile(re.escape(t("Withdraw the request")))).click()
    expect(page.get_by_role("status").filter(has_text=workspace["names"][1])).to_be_visible()
    expect(asked_card.locator(".badge.state")).to_have_text(re.compile(t("Request withdrawn")))

    gone_card = page.locator("article.entry").filter(has=page.locator(f"#entry-{gone}"))
    gone_card.get_by_role("button", name=re.compile(re.escape(t("Remove from the shortlist")))).click()
    expect(page.get_by_role("status").filter(has_text=workspace["names"][2])).to_be_visible()
    expect(page.locator(f"#entry-{gone}")).to_have_count(0)


def test_close_with_a_reason_warns_about_pending_requests_and_reopen(new_page, screenshots, workspace):
    page = new_page()
    log_in(page, OFFICER)
    page.goto(f"/needs/{workspace['need_id']}")
    page.get_by_role("link", name=t("Close…")).click()
    expect(page.get_by_role("alert")).to_contain_text(workspace["names"][1])  # its request is still pending
    shoot_all(page, screenshots, "close")
    page.get_by_label(t("Why do you close this need?")).select_option("no_fit")
    page.get_by_label(t("Note (optional)")).fill("条件に合う方が見つからなかった")
    page.get_by_role("button", name=t("Close the need")).click()
    expect(page.get_by_role("status").filter(has_text=t("Need closed."))).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text(t("Closed"))
    expect(page.get_by_text(t("No suitable candidate"))).to_be_visible()
    page.get_by_role("button", name=t("Reopen")).click()
    expect(page.locator("h1 .badge")).to_have_text(t("Open"))


def test_add_from_the_search_returns_to_the_result(new_page, screenshots, workspace):
    page = new_page()
    log_in(page, OFFICER)
    page.goto("/search/experts?q=")
    ids = [i for i in page.locator("article.result").evaluate_all("els => els.map(e => e.id)")
           if int(i.removeprefix("expert-")) not in workspace["shortlisted"]]
    expert_id = ids[-1]  # low on the page: returning to it is a real scroll
    result = page.locator(f"#{expert_id}")
    result.get_by_label(t("Shortlist for")).select_option(str(workspace["need_id"]))
    result.get_by_role("button", name=re.compile(re.escape(t("Add to shortlist")))).click()
    expect(page.get_by_role("status").filter(has_text=workspace["title"])).to_be_visible()
    assert page.url.endswith(f"#{expert_id}") and "/search/experts" in page.url
    top = page.evaluate(f"() => document.getElementById('{expert_id}').getBoundingClientRect().top")
    assert -50 <= top <= 300, top
    shoot_all(page, screenshots, "search")


def test_both_sides_hear_back(new_page, screenshots, workspace):
    expert_page = new_page()
    log_in(expert_page, EXPERT)
    expert_page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Needs for you")).click()
    expect(expert_page.get_by_role("heading", name=t("Needs for you"), level=1)).to_be_visible()
    expect(expert_page.get_by_role("link", name=workspace["title"])).to_be_visible()
    shoot_all(expert_page, screenshots, "needs_for_you")
    expert_page.goto("/experts/me")
    request = expert_page.locator("article.request").filter(has_text=workspace["title"])
    request.get_by_role("button", name=t("Accept")).click()
    expect(expert_page.get_by_role("status").first).to_be_visible()
    notices = expert_page.locator(".notices")
    expect(notices.get_by_role("link").first).to_have_attribute("href", re.compile(r"^/(needs|experts)/"))

    officer = new_page()
    log_in(officer, OFFICER)
    expect(officer.locator(".count-badge")).to_be_visible()
    officer.get_by_role("navigation", name=t("Main")).get_by_role("link", name=re.compile(t("Notifications"))).click()
    link = officer.get_by_role("link", name=re.compile(re.escape(workspace["title"]))).first
    expect(link).to_have_attribute("href", f"/needs/{workspace['need_id']}#shortlist")
    shoot_all(officer, screenshots, "notifications")
    officer.get_by_role("button", name=t("Mark all as read")).click()
    expect(officer.locator(".count-badge")).to_have_count(0)
    link.click()
    expect(officer.locator("h1")).to_contain_text(workspace["title"])
