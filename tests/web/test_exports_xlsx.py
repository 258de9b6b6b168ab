"""Excel out (issue 9): the expert search and the need lists as .xlsx files, read back with openpyxl.

A small world with hand-checked values: 山田 (remaining hours this month, fee, work styles, fields, record,
accepted contact), 佐藤 (only contacted: no contact cells), an unlisted and a paused expert (never exported),
塩尻市's needs with shortlist counts, and the other roles that must be refused.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from hub import limits, permissions
from hub.db import utcnow
from hub.models import (AuditEvent, Engagement, Evaluation, ExpertField, ExpertRole, ExpertScheme, ExpertSkill,
                        ExpertTravelPrefecture, NeedShare, NeedSkill, ShortlistEntry)
from hub.services.exports import month_end
from hub.services.organizations import create_organization
from tests.support import csrf_token_from
from tests.web.needs_factories import MATSUMOTO, SHIOJIRI, expert, login, need, org, user
from tests.web.web_accounts_support import forget_current_user

TODAY = date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _engagement(session, profile, organization, *, status, hours, start, end=None, overall=None,
                co_overall=None, co_org=None) -> Engagement:
    row = Engagement(expert=profile, organization=organization, source="import", title="庁内DX推進", role="CIO補佐官",
                     start_date=start, end_date=end, hours_per_month=hours, status=status)
    session.add(row)
    session.flush()
    if overall is not None:
        session.add(Evaluation(engagement_id=row.id, overall=overall, would_rehire=True))
    if co_overall is not None:
        session.add(Evaluation(engagement_id=row.id, co_organization_id=co_org.id, overall=co_overall))
    session.flush()
    return row


@pytest.fixture
def world(session):
    shiojiri, matsumoto, chiyoda = org(session), org(session, MATSUMOTO), org(session, "131016")
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    staff = user(session, "org_staff", shiojiri, locale="ja")
    yamada = expert(session, name="山田 花子", talent_type="D", home=SHIOJIRI, hours=40,
                    fee_unit="hour", fee_amount=8000, fee_negotiable=True, available_until=date(2027, 3, 31))
    yamada.max_travel_km, yamada.available_from = 150, date(2026, 4, 1)
    yamada.email, yamada.phone = "hanako@example.jp", "090-1111-2222"
    yamada.remote, yamada.onsite, yamada.resident = True, True, False
    yamada.skills = [ExpertSkill(skill_id="backend_dev", level=3), ExpertSkill(skill_id="frontend_dev", level=2),
                     ExpertSkill(skill_id="user_understanding", level=4, source="inferred")]  # inferred: left out
    yamada.fields = [ExpertField(field_id="mobility"), ExpertField(field_id="disaster_prevention")]
    yamada.roles = [ExpertRole(role_id="backend_engineer")]
    yamada.schemes = [ExpertScheme(scheme="adviser")]
    yamada.travel_prefectures = [ExpertTravelPrefecture(prefecture_code="15"),
                                 ExpertTravelPrefecture(prefecture_code="20")]
    # Hours: 40 offered; 15 running since last year (no end); 10 more start next month (not this month's);
    # a finished one and a cancelled one take nothing. Remaining this month: 40 - 15 = 25 (the page: 15).
    _engagement(session, yamada, matsumoto, status="active", hours=15, start=TODAY - timedelta(days=400))
    _engagement(session, yamada, matsumoto, status="active", hours=10, start=month_end(TODAY) + timedelta(days=1))
    # Record: two completed (rated 4 and 5 by their own organizations; a co-organization's 1 is not the
    # profile's mean), one cancelled rated 1 (not part of the record): 2 completed, mean 4.5.
    _engagement(session, yamada, matsumoto, status="completed", hours=20, start=date(2023, 4, 1),
                end=date(2024, 3, 31), overall=4, co_overall=1, co_org=chiyoda)
    _engagement(session, yamada, chiyoda, status="completed", hours=20, start=date(2024, 4, 1),
                end=date(2025, 3, 31), overall=5)
    _engagement(session, yamada, chiyoda, status="cancelled", hours=20, start=date(2025, 4, 1),
                end=date(2025, 5, 31), overall=1)
    sato = expert(session, name="佐藤 太郎", talent_type="X", home="131016", hours=20, phone="03-0000-0000")
    sato.onsite = False
    sato.skills = [ExpertSkill(skill_id="user_understanding", level=3)]
    hidden = expert(session, name="非公開 三郎", listed=False)
    paused = expert(session, name="休止 四郎", status="paused")
    elsewhere = expert(session, name="他市 五郎", home=MATSUMOTO)  # accepted 松本市's request, not 塩尻市's

    open_need = need(session, shiojiri, title="オンデマンド交通の導入支援", skills={"backend_dev": 3},
                     published_at=utcnow(), budget_unit="hour", budget_max=9000)
    open_need.skills.append(NeedSkill(skill_id="frontend_dev", min_level=2, must=False))
    draft = need(session, shiojiri, status="draft", title="窓口予約のオンライン化")
    matsumoto_need = need(session, matsumoto, title="観光データの活用", published_at=utcnow())
    chiyoda_need = need(session, chiyoda, title="区民サービスのDX", published_at=utcnow())
    shared = need(session, matsumoto, title="広域の窓口DX", published_at=utcnow())
    shared.shares = [NeedShare(organization=shiojiri, hours_per_month=10, location_lg_code=SHIOJIRI)]
    for profile, state in ((yamada, "accepted"), (sato, "contacted"), (hidden, "shortlisted")):
        session.add(ShortlistEntry(need=open_need, expert=profile, state=state,
                                   contacted_at=utcnow() if state != "shortlisted" else None))
    session.add(ShortlistEntry(need=matsumoto_need, expert=elsewhere, state="accepted", contacted_at=utcnow()))
    session.add(Engagement(expert=yamada, organization=shiojiri, source="need", need_id=open_need.id,
                           title=open_need.title, start_date=date(2027, 4, 1), hours_per_month=5, status="proposed"))
    session.flush()
    users = {
        "staff": staff, "other_muni": user(session, "org_staff", matsumoto, locale="ja"),
        "far_muni": user(session, "org_staff", chiyoda, locale="en"),
        "unapproved": user(session, "org_staff", shiojiri, approved=False),
        "bureau": user(session, "bureau_staff", shinetsu, locale="ja"),
        "kanto": user(session, "bureau_staff", kanto), "admin": user(session, "admin", locale="ja"),
        "expert": yamada.user,
    }
    session.commit()
    return {"users": users, "yamada": yamada, "sato": sato, "hidden": hidden, "paused": paused,
            "elsewhere": elsewhere, "open_need": open_need, "draft": draft, "matsumoto_need": matsumoto_need,
            "chiyoda_need": chiyoda_need, "shared": shared}


def _export(client, account, url: str):
    """Sign in, take the CSRF token of a page as the browser would, and post to the export."""
    forget_current_user()
    login(client, account)
    token = csrf_token_from(client.get("/").get_data(as_text=True))  # the header's sign-out form
    forget_current_user()
    return client.post(url, data={"csrf_token": token})


def _sheet(response) -> tuple[list[str], list[dict[str, object]]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    data = []
    for values in rows[1:]:
        if not any(v is not None for v in values[1:]):  # the note under the table (first cell only)
            break
        data.append(dict(zip(headers, values)))
    return headers, data


# -- experts ------------------------------------------------------------------------------------------------------

def test_expert_export_holds_every_matching_expert_with_hand_checked_values(client, world):
    response = _export(client, world["users"]["staff"], "/search/experts/export.xlsx?sort=name")
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"{TODAY.isoformat()}.xlsx" in response.headers["Content-Disposition"]
    assert "%E4%BA%BA%E6%9D%90%E4%B8%80%E8%A6%A7" in response.headers["Content-Disposition"]  # 人材一覧
    assert response.headers["Cache-Control"] == "private, no-store"
    headers, rows = _sheet(response)
    assert headers[:9] == ["氏名", "人材タイプ", "居住地（都道府県）", "居住地（市区町村）", "勤務形態", "出張できる都道府県",
                           "移動できる距離（km）", "月の稼働時間", "今月の残り時間"]
    assert headers[-3:] == ["プロフィールのURL", "メールアドレス", "電話番号"]
    assert sorted(r["氏名"] for r in rows) == ["他市 五郎", "佐藤 太郎", "山田 花子"]  # not unlisted, not paused
    yamada = next(r for r in rows if r["氏名"] == "山田 花子")
    assert yamada["人材タイプ"] == "D人材"
    assert (yamada["居住地（都道府県）"], yamada["居住地（市区町村）"]) == ("長野県", "塩尻市")
    assert yamada["勤務形態"] == "リモート、現地訪問"
    assert yamada["出張できる都道府県"] == "新潟県、長野県"
    assert yamada["移動できる距離（km）"] == 150
    assert (yamada["月の稼働時間"], yamada["今月の残り時間"]) == (40, 25)
    assert yamada["対応可能期間（開始）"].date() == date(2026, 4, 1)
    assert yamada["対応可能期間（終了）"].date() == date(2027, 3, 31)
    assert (yamada["報酬の単位"], yamada["報酬額（円）"], yamada["報酬は応相談"]) == ("時間単価", 8000, "はい")
    assert yamada["分野"] == "防災、モビリティ"
    assert yamada["役割（DSS）"] == "バックエンドエンジニア"
    assert yamada["主なスキル（レベル）"] == "バックエンドシステム開発（3）、フロントエンドシステム開発（2）"
    assert (yamada["実績：完了した従事"], yamada["実績：平均評価"]) == (2, 4.5)
    assert yamada["制度"] == "地域情報化アドバイザー"
    assert yamada["プロフィールのURL"] == f"http://hub.test/experts/{world['yamada'].id}"
    assert (yamada["メールアドレス"], yamada["電話番号"]) == ("hanako@example.jp", "090-1111-2222")
    sato = next(r for r in rows if r["氏名"] == "佐藤 太郎")
    assert (sato["人材タイプ"], sato["居住地（都道府県）"], sato["居住地（市区町村）"]) == ("X人材", "東京都", "千代田区")
    assert (sato["勤務形態"], sato["今月の残り時間"], sato["実績：完了した従事"], sato["実績：平均評価"]) == (
        "リモート", 20, 0, None)
    assert (sato["報酬の単位"], sato["報酬額（円）"]) == (None, None)  # unknown fee: empty, not zero


def test_contact_cells_are_empty_unless_the_expert_accepted_our_contact_request(client, world):
    _headers, rows = _sheet(_export(client, world["users"]["staff"], "/search/experts/export.xlsx"))
    by_name = {r["氏名"]: r for r in rows}
    assert by_name["山田 花子"]["メールアドレス"] == "hanako@example.jp"  # accepted 塩尻市's request
    for name in ("佐藤 太郎", "他市 五郎"):  # only contacted; accepted another city's request
        assert (by_name[name]["メールアドレス"], by_name[name]["電話番号"]) == (None, None), name
    # 松本市's staff see 他市's contact (accepted theirs) and not 山田's.
    other = client.application.test_client()
    _headers, rows = _sheet(_export(other, world["users"]["other_muni"], "/search/experts/export.xlsx"))
    by_name = {r["氏名"]: r for r in rows}
    assert by_name["他市 五郎"]["電話番号"] == "090-0000-0000"
    assert by_name["山田 花子"]["メールアドレス"] is None


def test_the_batch_contact_rule_agrees_with_can_see_contact(session, world):
    profiles = [world[k] for k in ("yamada", "sato", "hidden", "paused", "elsewhere")]
    for account in world["users"].values():
        batch = permissions.contact_visible_ids(session, account, [p.id for p in profiles])
        one_by_one = {p.id for p in profiles if permissions.can_see_contact(session, account, p)}
        assert batch == one_by_one, account.email


def test_filters_and_order_are_the_search_pages(client, world):
    account = world["users"]["staff"]
    _h, rows = _sheet(_export(client, account, "/search/experts/export.xlsx?talent_type=X"))
    assert sorted(r["氏名"] for r in rows) == ["他市 五郎", "佐藤 太郎"]  # X, and XD (他市) as the page counts it
    _h, rows = _sheet(_export(client, account, "/search/experts/export.xlsx?prefecture=20&sort=name"))
    assert sorted(r["氏名"] for r in rows) == ["他市 五郎", "山田 花子"]
    _h, rows = _sheet(_export(client, account, "/search/experts/export.xlsx?skill_1=backend_dev&level_1=3"))
    assert [r["氏名"] for r in rows] == ["山田 花子"]
    # From today on (the page's rule) 山田 has 40 - 15 - 10 = 15 left: a minimum of 20 drops her.
    _h, rows = _sheet(_export(client, account, "/search/experts/export.xlsx?min_hours=20&sort=name"))
    assert "山田 花子" not in [r["氏名"] for r in rows]
    _h, rows = _sheet(_export(client, account, "/search/experts/export.xlsx?q=%E4%BD%90%E8%97%A4"))  # 佐藤
    assert [r["氏名"] for r in rows] == ["佐藤 太郎"]


def test_the_export_is_audited_with_its_filters_and_row_count(client, session, world):
    _export(client, world["users"]["staff"], "/search/experts/export.xlsx?prefecture=20&page=3")
    event_row = session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.export"))
    assert event_row.user_id == world["users"]["staff"].id
    assert event_row.details == {"filters": {"prefecture": "20"}, "rows": 2}


def test_english_viewers_get_english_headers_and_labels(client, world):
    _headers, rows = _sheet(_export(client, world["users"]["far_muni"], "/search/experts/export.xlsx?sort=name"))
    yamada = next(r for r in rows if r["Name"] == "山田 花子")
    assert yamada["Talent type (X/D)"] == "D type"
    assert yamada["Work styles"] == "Remote, On-site visits"
    assert yamada["Fee unit"] == "Per hour"
    assert yamada["Main skills (level)"] == "Back-end development (3), Front-end development (2)"


def test_other_roles_are_refused(client, world):
    url = "/search/experts/export.xlsx"
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]  # anonymous
    for role in ("expert", "unapproved"):
        other = client.application.test_client()
        assert _export(other, world["users"][role], url).status_code == 403, role
    assert client.get(url).status_code == 405  # a GET never writes the audit trail


def test_csrf_token_is_required(client, world):
    login(client, world["users"]["staff"])
    assert client.post("/search/experts/export.xlsx").status_code == 400


@pytest.mark.parametrize("query", ["min_hours=abc", "min_hours=100000", "talent_type=Z", "skill_1=nope&level_1=2",
                                   "q=" + "x" * 300])
def test_a_bad_query_is_a_clear_400_page(client, world, query):
    response = _export(client, world["users"]["staff"], f"/search/experts/export.xlsx?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "この検索条件では出力できません" in html and "/search/experts?" in html


def test_more_rows_than_the_limit_are_refused_with_advice(client, session, world, monkeypatch):
    monkeypatch.setattr(limits, "EXPORT_ROWS", 2)
    response = _export(client, world["users"]["staff"], "/search/experts/export.xlsx")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "3人ですが" in html and "2人まで" in html and "条件を絞って" in html
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.export")) is None


def test_the_search_page_links_the_export_with_its_filters(client, world):
    login(client, world["users"]["staff"])
    html = client.get("/search/experts?prefecture=20&sort=name&page=1").get_data(as_text=True)
    assert 'action="/search/experts/export.xlsx?prefecture=20&amp;sort=name"' in html
    assert "Excelで出力" in html


def test_expert_rows_take_a_bounded_number_of_queries(client, session, world):
    login(client, world["users"]["staff"])
    token = csrf_token_from(client.get("/search/experts").get_data(as_text=True))

    def count(n_more: int) -> int:
        for i in range(n_more):
            extra = expert(session, name=f"追加 {i}", skills={"backend_dev": 2})
            extra.fields = [ExpertField(field_id="mobility")]
        session.commit()
        statements = []
        engine = session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.post("/search/experts/export.xlsx", data={"csrf_token": token}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    assert count(0) == count(15)


# -- needs --------------------------------------------------------------------------------------------------------

def test_own_needs_with_every_status_and_shortlist_counts(client, world):
    headers, rows = _sheet(_export(client, world["users"]["staff"], "/needs/export.xlsx?scope=own"))
    assert headers[:6] == ["番号", "件名", "団体", "都道府県", "勤務地", "DXの段階"]
    assert sorted(r["件名"] for r in rows) == ["オンデマンド交通の導入支援", "広域の窓口DX", "窓口予約のオンライン化"]
    row = next(r for r in rows if r["件名"] == "オンデマンド交通の導入支援")
    assert (row["番号"], row["団体"], row["都道府県"], row["勤務地"]) == (world["open_need"].id, "長野県塩尻市",
                                                                 "長野県", "長野県塩尻市")
    assert row["DXの段階"] == "開発"
    assert row["求めるスキル（レベル）"] == "バックエンドシステム開発（3）"
    assert row["歓迎するスキル（レベル）"] == "フロントエンドシステム開発（2）"
    assert (row["月の時間"], row["勤務形態"], row["契約形態"]) == (20, "リモートと訪問の併用", "業務委託")
    assert (row["開始日"].date(), row["終了日"].date()) == (date(2027, 4, 1), date(2028, 3, 31))
    assert (row["報酬の単位"], row["報酬の上限（円）"], row["状態"]) == ("時間単価", 9000, "公開中")
    assert row["掲載日"] is not None
    # Three entries, two of them contacted; the proposed engagement is not (yet) an engagement.
    assert (row["候補の件数"], row["連絡の件数"], row["従事の件数"]) == (3, 2, 0)
    assert next(r for r in rows if r["件名"] == "窓口予約のオンライン化")["状態"] == "下書き"


def test_open_needs_of_others_and_the_regions_list(client, world):
    _h, rows = _sheet(_export(client, world["users"]["staff"], "/needs/export.xlsx?scope=open"))
    assert sorted(r["件名"] for r in rows) == ["区民サービスのDX", "観光データの活用"]  # not own, not shared with us
    # Other organizations' shortlists are not ours to count.
    assert all(r["候補の件数"] is None for r in rows)
    bureau = client.application.test_client()
    _h, rows = _sheet(_export(bureau, world["users"]["bureau"], "/needs/export.xlsx?scope=region"))
    assert sorted(r["件名"] for r in rows) == ["オンデマンド交通の導入支援", "広域の窓口DX", "観光データの活用"]
    assert next(r for r in rows if r["件名"] == "観光データの活用")["候補の件数"] == 1  # the bureau sees them
    admin = client.application.test_client()
    _h, rows = _sheet(_export(admin, world["users"]["admin"], "/needs/export.xlsx?scope=region&bureau=kanto"))
    assert [r["件名"] for r in rows] == ["区民サービスのDX"]


def test_need_lists_are_the_pages_lists(client, world):
    login(client, world["users"]["staff"])
    html = client.get("/needs/").get_data(as_text=True)
    for title in ("オンデマンド交通の導入支援", "広域の窓口DX", "窓口予約のオンライン化", "区民サービスのDX", "観光データの活用"):
        assert title in html
    assert 'action="/needs/export.xlsx?scope=own"' in html and 'action="/needs/export.xlsx?scope=open"' in html


def test_need_export_refusals(client, session, world):
    far = world["users"]["far_muni"]
    assert _export(client, far, "/needs/export.xlsx?scope=region").status_code == 403  # not a bureau
    other = client.application.test_client()
    assert _export(other, world["users"]["expert"], "/needs/export.xlsx?scope=open").status_code == 403
    admin = client.application.test_client()
    assert _export(admin, world["users"]["admin"], "/needs/export.xlsx?scope=own").status_code == 403  # no org
    for query in ("scope=everything", "", "scope=region&bureau=atlantis"):
        response = _export(admin, world["users"]["admin"], f"/needs/export.xlsx?{query}")
        assert response.status_code == 400 and "この一覧は出力できません" in response.get_data(as_text=True)


def test_a_bureau_exports_only_its_own_region_whatever_it_asks(client, world):
    _h, rows = _sheet(_export(client, world["users"]["kanto"], "/needs/export.xlsx?scope=region&bureau=shinetsu"))
    assert [r["Title of the need"] for r in rows] == ["区民サービスのDX"]


def test_need_export_is_audited_and_limited(client, session, world, monkeypatch):
    _export(client, world["users"]["staff"], "/needs/export.xlsx?scope=own")
    row = session.scalar(select(AuditEvent).where(AuditEvent.action == "need.export"))
    assert row.details == {"filters": {"scope": "own"}, "rows": 3}
    monkeypatch.setattr(limits, "EXPORT_ROWS", 2)
    response = _export(client, world["users"]["staff"], "/needs/export.xlsx?scope=own")
    assert response.status_code == 422 and "3件ですが" in response.get_data(as_text=True)


def test_prefecture_staff_export_as_any_approved_staff(client, session, world):
    """Prefecture staff (a role the matrix lacks): the expert list and the open needs, with no shortlist counts
    of the municipalities' needs."""
    nagano = org(session, "200000")  # 長野県
    account = user(session, "org_staff", nagano, locale="ja")
    session.commit()
    _h, rows = _sheet(_export(client, account, "/search/experts/export.xlsx"))
    assert all(r["メールアドレス"] is None for r in rows)
    other = client.application.test_client()
    _h, rows = _sheet(_export(other, account, "/needs/export.xlsx?scope=open"))
    assert "オンデマンド交通の導入支援" in [r["件名"] for r in rows]
    assert all(r["候補の件数"] is None for r in rows)


def test_links_come_from_public_url_and_odd_requests_are_refused_not_500(client, world):
    client.application.config["PUBLIC_URL"] = "https://hub.example.jp/sub"
    _h, rows = _sheet(_export(client, world["users"]["staff"], "/search/experts/export.xlsx?q=%E5%B1%B1%E7%94%B0"))
    assert rows[0]["プロフィールのURL"] == f"https://hub.example.jp/sub/experts/{world['yamada'].id}"
    forged = client.post("/search/experts/export.xlsx", headers={"Host": "evil.example.com"})
    assert forged.status_code == 400
    big = client.post("/search/experts/export.xlsx", data={"csrf_token": "x", "pad": "x" * (20 * 1024 * 1024)})
    assert big.status_code == 413
