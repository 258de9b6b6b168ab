"""The dashboard pages, their CSV, Excel and map, the needs behind a number, and who may open which scope
(prefecture staff, whom the authorization matrix has no column for, are asked here)."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from hub.services.organizations import create_organization, get_or_create_local_government
from tests.hub import dashboard_support as world
from tests.hub.dashboard_support import TODAY
from tests.web.needs_factories import login, user


@pytest.fixture
def built(session, monkeypatch):
    monkeypatch.setattr("hub.services.dispatch.today", lambda: TODAY)
    return world.build(session)


@pytest.fixture
def people(session, built):
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    nagano = built["orgs"]["200000"]
    niigata = get_or_create_local_government(session, "150002")
    accounts = {
        "admin": user(session, "admin", locale="ja"),
        "bureau": user(session, "bureau_staff", shinetsu, locale="ja"),
        "other_bureau": user(session, "bureau_staff", kanto, locale="ja"),
        "prefecture": user(session, "org_staff", nagano, locale="ja"),
        "prefecture_en": user(session, "org_staff", nagano, locale="en"),
        "other_prefecture": user(session, "org_staff", niigata, locale="ja"),
        "unapproved_prefecture": user(session, "org_staff", nagano, approved=False, locale="ja"),
        "municipality": user(session, "org_staff", built["orgs"][world.SHIOJIRI], locale="ja"),
        "expert": user(session, "expert", locale="ja"),
    }
    session.commit()
    return accounts


def get(client, account, url):
    login(client, account)
    return client.get(url)


PAGES = ["/dashboard/nation/", "/dashboard/bureau/shinetsu/", "/dashboard/bureau/kanto/", "/dashboard/prefecture/20/",
         "/dashboard/prefecture/15/", "/dashboard/prefecture/13/"]
# Who may open each of PAGES: 200 or 403 (admins all; bureau its region and prefectures; prefecture its own).
EXPECTED = {
    "admin": [200, 200, 200, 200, 200, 200],
    "bureau": [403, 200, 403, 200, 200, 403],
    "other_bureau": [403, 403, 200, 403, 403, 200],
    "prefecture": [403, 403, 403, 200, 403, 403],
    "other_prefecture": [403, 403, 403, 403, 200, 403],
    "unapproved_prefecture": [403] * 6,
    "municipality": [403] * 6,
    "expert": [403] * 6,
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_who_may_open_which_dashboard(client, people, who):
    got = [get(client, people[who], url).status_code for url in PAGES]
    assert got == EXPECTED[who]
    for suffix in ("supply.csv", "dashboard.xlsx", "map.svg", "needs"):
        codes = [get(client, people[who], url + suffix).status_code for url in PAGES]
        assert codes == EXPECTED[who], suffix


def test_unknown_scope_is_404_and_anonymous_goes_to_login(client, people):
    assert get(client, people["admin"], "/dashboard/bureau/atlantis/").status_code == 404
    assert get(client, people["admin"], "/dashboard/prefecture/48/").status_code == 404
    assert get(client, people["admin"], "/dashboard/prefecture/20/nothing.csv").status_code == 404
    assert get(client, people["admin"], "/dashboard/bureau/shinetsu/pool.csv").status_code == 404  # prefectures only
    from flask import g
    g.pop("_login_user", None)  # the test's one app context remembers the last user
    anonymous = client.application.test_client()
    assert "/account/login" in anonymous.get("/dashboard/nation/").headers["Location"]


def test_home_sends_each_viewer_to_their_own_dashboard(client, people):
    assert get(client, people["admin"], "/dashboard/").headers["Location"].endswith("/dashboard/nation/")
    assert get(client, people["bureau"], "/dashboard/").headers["Location"].endswith("/dashboard/bureau/shinetsu/")
    assert get(client, people["prefecture"], "/dashboard/").headers["Location"].endswith("/dashboard/prefecture/20/")
    assert get(client, people["municipality"], "/dashboard/").status_code == 403


def test_prefecture_staff_get_the_menu_link_and_no_more(client, people):
    html = get(client, people["prefecture"], "/needs/").get_data(as_text=True)
    assert 'href="/dashboard/"' in html and "需給ダッシュボード" in html
    assert 'href="/dashboard/"' not in get(client, people["municipality"], "/needs/").get_data(as_text=True)


def test_bureau_page_shows_the_numbers_map_and_links(client, people):
    response = get(client, people["bureau"], "/dashboard/bureau/shinetsu/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "需給ダッシュボード" in html and "信越総合通信局" in html
    assert html.count("<svg") >= 5
    # Each prefecture links to its dashboard with the same period; the cells link to the needs behind them.
    assert 'href="/dashboard/prefecture/20/?from=2026-04-01&amp;to=2026-12-10"' in html
    assert "/dashboard/bureau/shinetsu/needs?stage=development&amp;field=mobility&amp;from=2026-04-01" in html
    assert "/dashboard/bureau/shinetsu/needs?skill=frontend_dev" in html
    assert "/dashboard/bureau/shinetsu/supply.csv?from=2026-04-01&amp;to=2026-12-10" in html
    assert "山田" not in html and "@example.jp" not in html  # aggregates: no expert named


def test_prefecture_page_in_english(client, people):
    html = get(client, people["prefecture_en"], "/dashboard/prefecture/20/").get_data(as_text=True)
    assert "Supply and demand" in html and "Talent pool" in html and "Come on site from elsewhere" in html


def test_bad_period_shows_the_form_with_an_error(client, people):
    for query in ("from=2026-13-01", "from=2026-12-01&to=2026-11-01", "from=0202-04-01", "to=2025-01-01"):
        response = get(client, people["bureau"], f"/dashboard/bureau/shinetsu/?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert 'class="error"' in html and 'name="from"' in html, query
    assert get(client, people["bureau"], "/dashboard/bureau/shinetsu/supply.csv?from=x").status_code == 400
    assert get(client, people["bureau"], "/dashboard/bureau/shinetsu/map.svg?to=2026-02-30").status_code == 400


def test_a_chosen_period_changes_the_numbers(client, people):
    url = "/dashboard/bureau/shinetsu/summary.csv?from=2026-06-01&to=2026-06-30"
    rows = list(csv.reader(io.StringIO(get(client, people["bureau"], url).get_data(as_text=True).lstrip("\ufeff"))))
    values = {row[0]: row[1] for row in rows[1:]}
    assert values["期間中に掲載された募集"] == "1"  # N2 only


def test_supply_csv_holds_the_table(client, people):
    response = get(client, people["bureau"], "/dashboard/bureau/shinetsu/supply.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["都道府県", "コード", "掲載中の人材"]
    assert [row[0] for row in rows[1:]] == ["新潟県", "長野県"]
    nagano = dict(zip(rows[0], rows[2]))
    assert (nagano["需給の差（時間）"], nagano["公開中の募集"], nagano["派遣申請"]) == ("-1", "2", "3")


def test_excel_workbook_holds_every_table(client, people):
    response = get(client, people["prefecture"], "/dashboard/prefecture/20/dashboard.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert len(workbook.sheetnames) == 7
    supply = workbook[workbook.sheetnames[1]]
    header = [c.value for c in supply[1]]
    assert header[0] == "市区町村"
    names = [row[0] for row in supply.iter_rows(min_row=2, values_only=True) if row[1] is not None or row[0]]
    assert names[:3] == ["長野市", "松本市", "塩尻市"]
    pool = workbook[workbook.sheetnames[2]]
    assert [row[1] for row in pool.iter_rows(min_row=2, max_row=5, values_only=True)] == [3, 1, 2, 6]


def test_map_svg(client, people):
    response = get(client, people["bureau"], "/dashboard/bureau/shinetsu/map.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith(("<svg", "<?xml"))


def test_needs_behind_a_number_are_those_the_viewer_may_see(client, people, session):
    html = get(client, people["bureau"],
               "/dashboard/bureau/shinetsu/needs?stage=development&field=mobility").get_data(as_text=True)
    assert "2件" in html or "2 needs" in html
    assert "募集 202151" in html and "募集 202029" in html
    html = get(client, people["prefecture"], "/dashboard/prefecture/20/needs?skill=frontend_dev").get_data(as_text=True)
    assert "募集 202029" in html and "募集 151009" not in html  # 新潟's N5 is outside the prefecture
