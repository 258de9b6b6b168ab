"""The whole hub journey in headless Chromium, in Japanese, with each key page also shown in English.

An expert signs up and completes a profile; an officer of 塩尻市 posts and publishes a need tailored to that expert,
sees the ranked candidates with their signal bars and explanations, shortlists the expert and asks for contact;
the expert accepts on the dashboard; the officer sees the contact details, starts and completes the engagement
and evaluates it; the expert's profile then shows the evaluation. Screenshots: tests/screenshots/<page>_<lang>.png.
"""
from __future__ import annotations

import re
import uuid

import pytest
import skill_taxonomy
from playwright.sync_api import Locator, Page, expect

from tests.browser.support import t, with_lang

pytestmark = pytest.mark.browser

TAX = skill_taxonomy.load()
DEMO_PASSWORD = "demo-password"
OFFICER = "shiojiri@demo.example.jp"
EXPERT_NAME = "試験 花子"
PASSWORD = "ブラウザで確かめる長い合言葉"
SKILLS = {"backend_dev": 4, "cloud_infrastructure": 3, "web_basics": 3}
NEED_TITLE = "予約受付APIのバックエンド開発（ブラウザ試験）"
NEED_TEXT = ("公共施設の予約をオンラインで受け付けるため、予約データベースとAPI、認証の仕組みを備えたサーバー側の"
             "システムをクラウド上に開発します。リモートで月20時間ほど、開発チームと一緒に進めていただきます。")


def skill(item_id: str, lang: str = "ja") -> str:
    return TAX.items[item_id].name(lang)


def labelled(scope: Page | Locator, text: str, lang: str = "ja") -> Locator:
    """The control whose label is `text` (optionally followed by the "required" mark), not a longer label."""
    return scope.get_by_label(re.compile(rf"^{re.escape(text)}(\s+{re.escape(t('required', lang))})?$"))


def flash(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def pattern(msgid: str, lang: str = "ja") -> re.Pattern:
    """The text of `msgid` with any value in place of its %(name)s / %(name)d placeholders."""
    parts = re.split(r"%\(\w+\)[sd]", t(msgid, lang))
    return re.compile(".+?".join(re.escape(part) for part in parts))


def shoot(page: Page, shots, name: str, lang: str) -> None:
    """Save the whole page as one tall window would show it.

    Not `full_page=True`: that pictures sticky parts (the editor's section list and save bar) wherever the
    scrolled window had them, across the content; and afterwards headless Chromium sent the next click's
    mouseup to the control that had focus. So: blur, make the window as tall as the page, shoot, restore.
    """
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    size = page.viewport_size
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    try:
        page.screenshot(path=str(shots / f"{name}_{lang}.png"))
    finally:
        page.set_viewport_size(size)


def in_both_languages(page: Page, shots, name: str, english: str) -> None:
    """Screenshot the page in Japanese, switch it to English (checking it says `english`), screenshot, switch back."""
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    shoot(page, shots, name, "ja")
    url = page.url
    page.get_by_role("group", name=t("Language")).get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=english).first).to_be_visible()
    shoot(page, shots, name, "en")
    page.goto(with_lang(url, "ja"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/account/login")
    labelled(page, t("Email")).fill(email)
    labelled(page, t("Password")).fill(password)
    page.get_by_role("button", name=t("Log in")).click()
    expect(page.get_by_role("button", name=t("Log out"))).to_be_visible()


# --- the expert ------------------------------------------------------------------------------------------
def sign_up_expert(page: Page, shots, email: str, live_hub) -> None:
    page.goto("/account/signup")
    page.get_by_role("link", name=t("I am an expert")).click()
    expect(page.get_by_role("heading", name=t("Register as an expert"), level=1)).to_be_visible()
    in_both_languages(page, shots, "signup", "Register as an expert")

    # A too-short password: the form comes back with the error beside the field and keeps what was typed.
    for lang in ("en", "ja"):
        page.goto(with_lang("/account/signup/expert", lang))
        labelled(page, t("Your name", lang), lang).fill(EXPERT_NAME)
        labelled(page, t("Email", lang), lang).fill(email)
        page.get_by_role("group", name=re.compile(re.escape(t("Which kind of work do you lead?", lang)))) \
            .get_by_label(TAX.enums["talent_types"]["D"].name(lang)).check()
        labelled(page, t("Password", lang), lang).fill("short")
        labelled(page, t("Password again", lang), lang).fill("short")
        page.get_by_role("button", name=t("Create my account", lang)).click()
        expect(page.get_by_role("alert")).to_have_text(t("Please correct the fields marked below.", lang))
        password = labelled(page, t("Password", lang), lang)
        expect(password).to_have_attribute("aria-invalid", "true")
        expect(password).to_have_accessible_description(re.compile(re.escape(
            t("Use between %(min)d and %(max)d characters.", lang, min=10, max=200))))
        expect(labelled(page, t("Your name", lang), lang)).to_have_value(EXPERT_NAME)
        expect(labelled(page, t("Email", lang), lang)).to_have_value(email)
        # Valid fields are not marked invalid (the form macro once rendered aria-invalid="None" on them).
        expect(labelled(page, t("Email", lang), lang)).not_to_have_attribute("aria-invalid", re.compile(".*"))
        expect(page.get_by_label(TAX.enums["talent_types"]["D"].name(lang))).to_be_checked()
        shoot(page, shots, "signup_errors", lang)

    labelled(page, t("Password")).fill(PASSWORD)
    labelled(page, t("Password again")).fill(PASSWORD)
    # Listing needs the expert's own tick: without it no officer would find her below.
    page.get_by_role("checkbox", name=t(
        "I agree to be listed: approved staff of the organizations on the hub (municipalities, prefectures, "
        "regional bureaus and others) may find my profile, see it and have the hub rank me for their needs.")).check()
    page.get_by_role("button", name=t("Create my account")).click()
    expect(page.get_by_role("heading", name=t("Check your mail"), level=1)).to_be_visible()
    expect(page.get_by_text(t("We have sent a mail to %(email)s.", email=email))).to_be_visible()

    # Signed in but not confirmed: only the page asking to confirm the address.
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name=t("Confirm your email address"), level=1)).to_be_visible()
    page.goto("/experts/me")
    expect(page.get_by_role("heading", name=t("Confirm your email address"), level=1)).to_be_visible()

    # The confirmation link, read from the mail the hub wrote to its log; its page confirms with a button.
    page.goto(verification_link(live_hub, email))
    page.get_by_role("button", name=t("Confirm my email address")).click()
    flash(page, t("Thank you: your email address is confirmed."))
    expect(page.get_by_role("heading", name=t("Hello, %(name)s", name=EXPERT_NAME))).to_be_visible()


def verification_link(live_hub, email: str) -> str:
    mail = next(m for m in reversed(live_hub.mails) if f" to {email}:" in m)
    return re.search(r"http://\S+/account/verify/\S+", mail).group(0)


def complete_profile(page: Page, shots) -> None:
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Edit profile")).click()
    sections = page.get_by_role("navigation", name=t("Profile sections"))

    # Basics and type: the type chosen at sign-up is kept.
    expect(page.get_by_role("heading", name=t("Basics and type"))).to_be_visible()
    expect(labelled(page, t("Name"))).to_have_value(EXPERT_NAME)
    expect(page.get_by_label(TAX.enums["talent_types"]["D"].name("ja"), exact=True)).to_be_checked()
    labelled(page, t("About you and your work")).fill(
        "自治体の予約・申請システムのバックエンド（API、データベース、認証）をクラウド上で設計・開発してきました。")
    labelled(page, t("Phone")).fill("090-1111-2222")
    page.get_by_role("button", name=t("Save")).click()
    flash(page, t("Saved."))

    # Skills: the grid by category, with what the levels mean.
    sections.get_by_role("link", name=t("Skills"), exact=True).click()
    expect(page.get_by_role("heading", name=t("What the levels mean"))).to_be_visible()
    technology = next(c for c in TAX.categories if any(i.id == "backend_dev" for i in c.items))
    page.get_by_role("heading", name=technology.name("ja")).click()  # opens the category's <details>
    for item_id, level in SKILLS.items():
        page.get_by_label(skill(item_id), exact=True).select_option(str(level))
    page.get_by_role("button", name=t("Save")).click()
    flash(page, t("Saved."))
    for item_id, level in SKILLS.items():  # saved, and shown again (the category re-opened to see them)
        expect(page.get_by_label(skill(item_id), exact=True)).to_have_value(str(level))
    page.get_by_role("heading", name=technology.name("ja")).click()
    expect(page.get_by_label(skill("backend_dev"), exact=True)).to_be_visible()
    in_both_languages(page, shots, "editor_skills", "Edit profile")

    # Hours and period.
    sections.get_by_role("link", name=t("Hours and period")).click()
    labelled(page, t("Hours per month you can offer")).fill("40")
    labelled(page, t("Available from")).fill("2026-12-01")
    page.get_by_role("button", name=t("Save")).click()
    flash(page, t("Saved."))
    expect(labelled(page, t("Hours per month you can offer"))).to_have_value("40")

    # Work style and place: remote only, living in Tokyo.
    sections.get_by_role("link", name=t("Work style and place")).click()
    page.get_by_label(t("Remote work"), exact=True).check()
    page.get_by_label(t("On-site visits"), exact=True).uncheck()
    labelled(page, t("Home municipality")).fill("東京都世田谷区")
    page.get_by_role("button", name=t("Save")).click()
    flash(page, t("Saved."))
    expect(page.get_by_label(t("Remote work"), exact=True)).to_be_checked()

    # Desired fee.
    sections.get_by_role("link", name=t("Desired fee")).click()
    labelled(page, t("Fee basis")).select_option("hour")
    labelled(page, t("Amount (yen)")).fill("8000")
    page.get_by_label(t("Negotiable"), exact=True).check()
    page.get_by_role("button", name=t("Save")).click()
    flash(page, t("Saved."))


def check_profile_page(page: Page, shots) -> int:
    """The expert's own profile page shows what was entered; returns the expert's id."""
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("My profile page")).click()
    expect(page.get_by_role("heading", name=EXPERT_NAME, level=1)).to_be_visible()
    expect(page.get_by_text(TAX.enums["talent_types"]["D"].name("ja"), exact=True)).to_be_visible()
    hours = page.get_by_role("region", name=t("Hours and current engagements"))
    expect(hours).to_contain_text(t("%(remaining)s of %(offered)s h/month free", remaining=40, offered=40))
    place = page.get_by_role("region", name=t("Work style and place"))
    expect(place).to_contain_text(t("Remote"))
    expect(place).to_contain_text("東京都世田谷区")
    expect(page.get_by_role("region", name=t("Desired fee"))).to_contain_text(
        f"{TAX.enums['fee_units']['hour'].name('ja')} 8,000 {t('yen')}")
    skills = page.get_by_role("region", name=t("Skills and roles"))
    for item_id, level in SKILLS.items():
        expect(skills.get_by_role("listitem").filter(has_text=skill(item_id))
               .get_by_label(t("level %(level)s", level=level))).to_be_visible()
    expert_id = int(re.search(r"/experts/(\d+)", page.url).group(1))
    in_both_languages(page, shots, "profile", "Hours and current engagements")
    return expert_id


# --- the officer -----------------------------------------------------------------------------------------
def search_for_expert(page: Page, shots) -> None:
    expect(page.get_by_role("heading", name=t("Find experts"), level=1)).to_be_visible()  # staff land here
    search = page.get_by_role("search", name=t("Search experts"))
    labelled(search, t("Words")).fill("バックエンド")
    search.get_by_role("combobox", name=f"{t('Skill')} 1").select_option("backend_dev")
    search.get_by_role("combobox", name=t("at least level")).first.select_option("4")
    search.get_by_role("button", name=t("Search")).click()
    expect(page.get_by_role("link", name=EXPERT_NAME, exact=True)).to_be_visible()
    in_both_languages(page, shots, "search", "Find experts")


def post_and_publish_need(page: Page, shots) -> None:
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Post a need")).click()
    expect(page.get_by_role("heading", name=t("Post a need"), level=1)).to_be_visible()
    in_both_languages(page, shots, "need_form", "Post a need")
    labelled(page, t("Title")).fill(NEED_TITLE)
    labelled(page, t("Description")).fill(NEED_TEXT)
    page.get_by_role("checkbox", name=re.compile("^" + re.escape(TAX.stages["development"].name("ja")))).check()
    page.get_by_label(t("Skill %(n)d", n=1), exact=True).select_option("backend_dev")
    page.get_by_label(t("Minimum level of skill %(n)d", n=1)).select_option("3")
    page.get_by_label(t("Importance of skill %(n)d", n=1)).select_option("must")
    page.get_by_label(t("Skill %(n)d", n=2), exact=True).select_option("web_basics")
    page.get_by_label(t("Minimum level of skill %(n)d", n=2)).select_option("2")
    page.get_by_label(t("Importance of skill %(n)d", n=2)).select_option("nice")
    labelled(page, t("Work style")).select_option("remote")
    labelled(page, t("Hours per month")).fill("20")
    labelled(page, t("Start")).fill("2027-01-04")
    labelled(page, t("End")).fill("2027-06-30")
    labelled(page, t("Budget unit")).select_option("hour")
    labelled(page, t("Maximum budget (yen)")).fill("10000")
    shoot(page, shots, "need_form_filled", "ja")
    page.get_by_role("button", name=t("Save"), exact=True).click()

    flash(page, t("Need “%(title)s” saved.", title=NEED_TITLE))
    expect(page.get_by_role("heading", name=NEED_TITLE, level=1)).to_contain_text(t("Draft"))
    page.get_by_role("button", name=t("Publish")).click()
    flash(page, pattern("Need published; %(count)d fitting experts were notified."))
    expect(page.get_by_role("heading", name=NEED_TITLE, level=1)).to_contain_text(t("Open"))
    summary = page.get_by_role("region", name=t("About this need"))
    expect(summary).to_contain_text(f"{skill('backend_dev')} ≥ 3")
    expect(summary).to_contain_text(TAX.enums["work_styles"]["remote"].name("ja"))


def candidate_card(page: Page, expert_id: int) -> Locator:
    return page.get_by_role("list").filter(has=page.locator("li.candidate")).locator(f"#expert-{expert_id}")


def shortlist_and_contact(page: Page, shots, expert_id: int) -> None:
    expect(page.get_by_role("heading", name=t("Ranked candidates"))).to_be_visible()
    candidates = page.locator("li.candidate")
    expect(candidates.first).to_be_visible()
    card = candidate_card(page, expert_id)
    expect(card).to_be_visible()  # tailored to the expert: among the first ten
    rank = int(card.locator(".rank").inner_text())
    assert 1 <= rank <= 3, f"the tailored expert ranks only {rank}"
    expect(card.get_by_role("link", name=EXPERT_NAME, exact=True)).to_be_visible()
    # Compact by default (issue 11): the signal bars and the full explanation open on request.
    details = card.locator("details.more")
    expect(details.get_by_role("group", name=t("Signals"))).to_be_hidden()
    details.locator("summary").click()
    bars = card.get_by_role("group", name=t("Signals")).get_by_role("meter")
    expect(bars).to_have_count(7)
    expect(card.get_by_role("meter", name=t("Skills"))).to_have_attribute("aria-valuenow", re.compile(r"^[1-9]\d*$"))
    expect(card).to_contain_text(t("Matched skills"))
    expect(card).to_contain_text(f"{skill('backend_dev')} {t('level %(have)d (asked %(want)d)', have=4, want=3)}")
    expect(card).to_contain_text(t("within budget"))
    expect(card).to_contain_text(t("works remotely"))
    expect(page.get_by_role("status").filter(
        has_text=pattern("%(shown)d shown of %(considered)d experts considered."))).to_be_visible()
    in_both_languages(page, shots, "need_candidates", "Ranked candidates")

    card.get_by_role("button", name=f"{t('Add to shortlist')} {EXPERT_NAME}").click()
    flash(page, t("%(name)s added to the shortlist.", name=EXPERT_NAME))
    expect(candidate_card(page, expert_id)).to_contain_text(t("On the shortlist"))
    entry = page.get_by_role("article", name=EXPERT_NAME)
    expect(entry).to_contain_text(t("Shortlisted"))
    labelled(entry, t("Message to the expert (optional)")).fill("予約システムの開発でぜひご相談させてください。")
    entry.get_by_role("button", name=t("Send contact request")).click()
    flash(page, t("Contact request sent to %(name)s.", name=EXPERT_NAME))
    entry = page.get_by_role("article", name=EXPERT_NAME)
    expect(entry).to_contain_text(t("Contact requested"))
    expect(entry).not_to_contain_text("090-1111-2222")  # contact details stay hidden until the expert accepts


def accept_request(page: Page, shots) -> None:
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Dashboard")).click()
    requests = page.get_by_role("region", name=t("Contact requests"))
    request = requests.get_by_role("article").filter(has_text=NEED_TITLE)
    expect(request).to_contain_text("予約システムの開発でぜひご相談させてください。")
    in_both_languages(page, shots, "dashboard_request", "Contact requests")
    request = page.get_by_role("region", name=t("Contact requests")).get_by_role("article").filter(
        has_text=NEED_TITLE)
    request.get_by_role("button", name=t("Accept")).click()
    flash(page, pattern("You accepted. %(org)s can now see your contact details."))
    expect(page.get_by_role("region", name=t("Contact requests")).get_by_role("article")).to_have_count(0)


def engage_and_evaluate(page: Page, shots, expert_email: str) -> None:
    page.reload()
    entry = page.get_by_role("article", name=EXPERT_NAME)
    expect(entry).to_contain_text(t("Accepted contact"))
    expect(entry.get_by_role("link", name=expert_email)).to_be_visible()
    expect(entry).to_contain_text("090-1111-2222")

    labelled(entry, t("Role")).fill("予約APIのバックエンド開発リード")
    expect(labelled(entry, t("Hours per month"))).to_have_value("20")  # pre-filled from the need
    entry.get_by_role("button", name=t("Start engagement")).click()
    flash(page, t("Engagement with %(name)s started.", name=EXPERT_NAME))
    entry = page.get_by_role("article", name=EXPERT_NAME)
    expect(entry).to_contain_text("予約APIのバックエンド開発リード")

    expect(labelled(entry, t("End date"))).to_have_value("2027-06-30")
    labelled(entry, t("Contribution")).fill("予約APIと認証基盤をクラウド上に構築し、職員への引き継ぎまで担当。")
    labelled(entry, t("Outcome")).fill("施設予約の8割がオンラインに移行。")
    entry.get_by_role("button", name=t("Complete engagement")).click()

    flash(page, t("Engagement completed. Please evaluate it."))
    expect(page.get_by_role("heading", name=t("Evaluate %(name)s", name=EXPERT_NAME), level=1)).to_be_visible()
    in_both_languages(page, shots, "evaluation_form", f"Evaluate {EXPERT_NAME}")
    page.get_by_role("group", name=re.compile("^" + re.escape(t("Overall")))) \
        .get_by_role("radio", name="5", exact=True).check()
    page.get_by_label(skill("backend_dev"), exact=True).select_option("4")
    page.get_by_label(skill("web_basics"), exact=True).select_option("3")
    labelled(page, t("Would you engage this expert again?")).select_option("yes")
    labelled(page, t("Comment")).fill("設計が丁寧で、職員への説明もわかりやすかったです。")
    page.get_by_role("button", name=t("Save evaluation")).click()
    flash(page, t("Thank you: the evaluation is saved and now part of %(name)s's record.", name=EXPERT_NAME))
    entry = page.get_by_role("article", name=EXPERT_NAME)
    expect(entry).to_contain_text(t("Completed on %(end)s and evaluated: %(overall)d of 5.", end="2027-06-30",
                                    overall=5))


def check_evaluated_profile(page: Page, shots) -> None:
    drove = page.get_by_role("region", name=t("Where they drove projects"))
    expect(drove).not_to_contain_text(t("No completed engagements recorded yet."))  # one is, without fields
    evaluations = page.get_by_role("region", name=t("Evaluations"))
    expect(evaluations).to_contain_text(t("Would rehire: %(yes)s of %(n)s", yes=1, n=1))
    expect(evaluations.get_by_label(t("%(value)s out of 5", value="5.0"))).to_be_visible()
    expect(evaluations.get_by_role("listitem").filter(has_text=skill("backend_dev"))).to_be_visible()
    record = page.get_by_role("region", name=re.compile("^" + re.escape(t("Track record"))))
    engagement = record.get_by_role("article").filter(has_text=NEED_TITLE)
    expect(engagement).to_contain_text("予約APIのバックエンド開発リード")
    expect(engagement).to_contain_text("設計が丁寧で、職員への説明もわかりやすかったです。")
    expect(engagement).to_contain_text(t("would rehire"))
    skills = page.get_by_role("region", name=t("Skills and roles"))
    expect(skills.get_by_role("listitem").filter(has_text=skill("backend_dev"))).to_contain_text(t("verified"))


def test_expert_registers_officer_ranks_engages_and_evaluates(new_page, screenshots, live_hub):
    expert_email = f"hanako-{uuid.uuid4().hex[:8]}@example.jp"
    expert = new_page()
    sign_up_expert(expert, screenshots, expert_email, live_hub)
    complete_profile(expert, screenshots)
    expert_id = check_profile_page(expert, screenshots)

    officer = new_page()
    log_in(officer, OFFICER, DEMO_PASSWORD)
    search_for_expert(officer, screenshots)
    post_and_publish_need(officer, screenshots)
    shortlist_and_contact(officer, screenshots, expert_id)

    accept_request(expert, screenshots)

    engage_and_evaluate(officer, screenshots, expert_email)
    officer.get_by_role("article", name=EXPERT_NAME).get_by_role("link", name=EXPERT_NAME).click()
    expect(officer.get_by_role("heading", name=EXPERT_NAME, level=1)).to_be_visible()
    expect(officer.get_by_role("complementary", name=t("Contact"))).to_contain_text(expert_email)
    check_evaluated_profile(officer, screenshots)
    in_both_languages(officer, screenshots, "profile_evaluated", "Evaluations")

    expert.goto(f"/experts/{expert_id}")  # the expert sees the same on their own page
    check_evaluated_profile(expert, screenshots)


def test_anonymous_visitor_is_sent_to_log_in_in_their_language(new_page):
    page = new_page()
    page.goto("/search/experts")
    expect(page.get_by_role("heading", name=t("Log in"), level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=t("Please log in to see this page."))).to_be_visible()
    page.goto(with_lang("/account/login", "en"))
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    page.goto("/account/login")  # the choice is remembered without ?lang=
    expect(page.locator("html")).to_have_attribute("lang", "en")
