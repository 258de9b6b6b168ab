"""A roster import in headless Chromium: the bureau opens the import page from its home, uploads a roster with a
bad row (the errors are listed, nothing is imported), fixes it and uploads again; the job page shows the import
finished. Screenshots at 1280 and 390 px, Japanese and English: tests/screenshots/roster_<page>_<width>_<lang>.png.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import t, with_lang
from tests.browser.test_browser_journeys import DEMO_PASSWORD, labelled, shoot

pytestmark = pytest.mark.browser

BUREAU = "roster@bureau.demo.example.jp"  # its own account: the demo bureau's logins count against a rate limit
HEADER = "管理番号,氏名,メール,役割,スキルとレベル,分野,都道府県,市区町村,勤務形態,月あたり稼働時間\n"
BAD = (HEADER + "BR-1,名簿 一郎,ichiro@@example.jp,バックエンドエンジニア,バックエンドシステム開発:3,防災,長野県,塩尻市,"
       "リモート,20\nBR-2,,,営業部長,,,,府中市,,900\n").encode("cp932")
GOOD = (HEADER + "BR-1,名簿 一郎,ichiro@example.jp,バックエンドエンジニア,バックエンドシステム開発:3,防災,長野県,塩尻市,"
        "リモート,20\nBR-2,名簿 二子,,データエンジニア,データ理解・活用:2,モビリティ,東京都,府中市,\"リモート、現地\",10\n"
        ).encode("cp932")


def _upload(page: Page, data: bytes, name: str, lang: str = "ja") -> None:
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name=t("Check and import", lang)).click()


@pytest.fixture
def bureau_login(live_hub):
    """Approved staff of 信越総合通信局, made for this test in the live hub's database."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from hub.db import get_session, utcnow
    from hub.models import User

    with live_hub.app.app_context():
        session = get_session()
        if session.scalar(select(User).where(User.email == BUREAU)) is None:
            bureau = session.scalar(select(User).where(User.email == "bureau@demo.example.jp")).organization
            session.add(User(email=BUREAU, password_hash=generate_password_hash(DEMO_PASSWORD), role="bureau_staff",
                             display_name="信越 名簿担当", organization=bureau, locale="ja", approved_at=utcnow(),
                             verified_at=utcnow()))
            session.commit()
        login_id = session.scalar(select(User).where(User.email == BUREAU)).get_id()
    return login_id


def _sign_in(page: Page, live_hub, login_id: str) -> None:
    """Sign in by the session cookie a login would set: the login form's rate limit (20 a minute from one
    address) is shared by every browser test of the run, and this test needs no more of it."""
    app = live_hub.app
    value = app.session_interface.get_signing_serializer(app).dumps({"_user_id": login_id, "_fresh": True})
    page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": live_hub.url}])


def test_bureau_imports_a_roster_in_the_browser(new_page, live_hub, screenshots, bureau_login):
    page = new_page()
    _sign_in(page, live_hub, bureau_login)
    page.goto("/bureau/")
    page.get_by_role("link", name=t("Import a roster")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Import a roster"))
    for lang in ("ja", "en"):
        page.goto(with_lang("/roster/import", lang))
        _upload(page, BAD, "名簿.csv", lang)
        errors = page.locator(".roster-error-list li")
        expect(errors.first).to_be_visible()
        assert errors.count() == 5
        if lang == "ja":
            expect(errors.first).to_have_text("2行目、列『メール』: メールアドレスの形式が正しくありません")
        expect(labelled(page, t("List type", lang), lang)).to_have_value("adviser")
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, screenshots, f"roster_errors_{width}", lang)
        page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(with_lang("/roster/import", "ja"))
    _upload(page, GOOD, "名簿.csv")
    expect(page.get_by_text(t("Finished"), exact=True)).to_be_visible()
    expect(page.locator("dl.facts").last).to_contain_text("2")
    for lang in ("ja", "en"):
        page.goto(with_lang(page.url, lang))
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, screenshots, f"roster_done_{width}", lang)
        page.set_viewport_size({"width": 1280, "height": 900})
    for lang in ("ja", "en"):
        page.goto(with_lang("/roster/import", lang))
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            shoot(page, screenshots, f"roster_form_{width}", lang)
    from sqlalchemy import select

    from hub.db import get_session
    from hub.models import ExpertProfile, RosterUpload
    with live_hub.app.app_context():
        session = get_session()
        names = session.scalars(select(ExpertProfile.home_lg_code).where(
            ExpertProfile.external_id.in_(["BR-1", "BR-2"])).order_by(ExpertProfile.external_id)).all()
        assert names == ["202151", "132063"]
        assert session.scalars(select(RosterUpload)).all() == []
