"""Rosters in (hub/services/roster.py): .xlsx and CSV with Japanese headers, the import-experts checker, all or
nothing, errors at sheet/row/column, protection of existing experts, caps against hostile files."""
from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from hub import limits
from hub.models import AuditEvent, Engagement, ExpertProfile, ExpertRosterSource, RosterUpload
from hub.services import roster
from hub.services.organizations import create_organization
from hub.services.roster_columns import RosterColumnsError, build, load_columns
from hub.services.roster_templates import documentation
from tests.web.needs_factories import expert, org, user

HEADER = ["管理番号", "氏名", "メール", "役割", "スキルとレベル", "分野", "都道府県", "市区町村", "勤務形態",
          "月あたり稼働時間", "報酬額（円）", "報酬の単位", "稼働開始日", "制度"]
HANAKO = ["R-001", "山田 花子", "hanako@example.jp", "バックエンドエンジニア、データエンジニア",
          "バックエンドシステム開発:3\nデータ理解・活用:2", "防災, モビリティ", "長野県", "塩尻市", "リモート、現地",
          40, 8000, "時間", date(2027, 4, 1), ""]
TARO = ["R-002", "佐藤 太郎", "", "", "", "", "", "長野県松本市", "常駐", "20", "", "", "2027/4/1", "外部人材リスト"]


def _xlsx(rows: list[list], sheet: str = "名簿", extra_sheets: tuple[str, ...] = ()) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    for name in extra_sheets:
        workbook.create_sheet(name).append(["x"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    import csv
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _import(session, taxonomy, data: bytes, name: str, actor=None, **options):
    with force_locale("ja"):
        check, report = roster.import_roster(session, data, name, taxonomy, actor, **options)
        return check, report, [str(e) for e in check.errors]


@pytest.fixture
def bureaus(session):
    shinetsu = create_organization(session, "bureau", "信越総合通信局", "20", code="BUREAU-SHINETSU")
    kanto = create_organization(session, "bureau", "関東総合通信局", "13", code="BUREAU-KANTO")
    return user(session, "bureau_staff", shinetsu), user(session, "bureau_staff", kanto)


# -- reading -----------------------------------------------------------------------------------------------------

def test_roster_import_xlsx_maps_japanese_headers_and_labels(app, session, taxonomy):
    check, report, errors = _import(session, taxonomy, _xlsx([HEADER, HANAKO]), "名簿.xlsx", scheme="adviser")
    assert errors == []
    assert (report.records, report.created, report.updated) == (1, 1, 0)
    hanako = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "R-001")).one()
    assert (hanako.name, hanako.email, hanako.talent_type) == ("山田 花子", "hanako@example.jp", "XD")  # default
    assert sorted(hanako.role_ids) == ["backend_engineer", "data_engineer"]
    assert hanako.skill_levels == {"backend_dev": 3, "data_understanding": 2}
    assert sorted(hanako.field_ids) == ["disaster_prevention", "mobility"]
    assert (hanako.home_lg_code, hanako.prefecture_code) == ("202151", "20")
    assert (hanako.remote, hanako.onsite, hanako.resident) == (True, True, False)
    assert (hanako.hours_per_month, hanako.fee_unit, hanako.fee_amount) == (40, "hour", 8000)
    assert hanako.available_from == date(2027, 4, 1)
    assert hanako.scheme_ids == ["adviser"]
    assert check.roster.sheet == "名簿"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "expert.import")).one()
    assert (event.details["file"], event.details["format"], event.details["created"]) == ("名簿.xlsx", "xlsx", 1)


@pytest.mark.parametrize("encoding, reported", [("utf-8-sig", "UTF-8 (BOM)"), ("utf-8", "UTF-8"),
                                                ("cp932", "Shift_JIS (cp932)")])
def test_roster_import_csv_in_each_encoding(app, session, taxonomy, encoding, reported):
    rows = [HEADER, [str(v) if isinstance(v, int) else v.isoformat() if isinstance(v, date) else v for v in HANAKO],
            TARO]
    check, report, errors = _import(session, taxonomy, _csv(rows, encoding), "roster.csv")
    assert errors == []
    assert check.roster.encoding == reported
    assert report.created == 2
    taro = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "R-002")).one()
    assert (taro.home_lg_code, taro.resident, taro.remote, taro.hours_per_month) == ("202029", True, False, 20)
    assert (taro.available_from, taro.scheme_ids) == (date(2027, 4, 1), ["external_list"])


def test_roster_import_accepts_aliases_english_headers_and_ids(app, session, taxonomy):
    rows = [["ID", "名前", "メールアドレス", "ロール", "Skills and levels", "Work styles", "talent type", "掲載同意",
             "報酬の相談", "報酬額", "単価の種類"],
            ["E-1", "鈴木 一郎", "ichiro@example.jp", "backend_engineer", "sre（2）, Cloud infrastructure: 3",
             "On-site visits", "D人材", "はい", "×", "５０，０００", "日額"]]
    _check, report, errors = _import(session, taxonomy, _xlsx(rows), "en.xlsx")
    assert errors == []
    ichiro = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "E-1")).one()
    assert ichiro.role_ids == ["backend_engineer"]
    assert ichiro.skill_levels == {"sre": 2, "cloud_infrastructure": 3}
    assert (ichiro.remote, ichiro.onsite, ichiro.talent_type, ichiro.listed) == (False, True, "D", True)
    assert (ichiro.fee_amount, ichiro.fee_unit, ichiro.fee_negotiable) == (50000, "day", False)


def test_roster_bad_row_names_sheet_row_and_column_and_writes_nothing(app, session, taxonomy):
    rows = [HEADER, HANAKO, ["R-002", "佐藤 太郎", "taro@@example", "", "", "", "", "", "", "", "", "", "", ""],
            ["R-003", "", "", "営業部長", "", "", "", "", "", "999", "", "", "2027-13-01", ""],
            HANAKO]
    check, report, errors = _import(session, taxonomy, _xlsx(rows), "名簿.xlsx")
    assert report is None
    assert errors == [
        "シート『名簿』の3行目、列『メール』: メールアドレスの形式が正しくありません",
        "シート『名簿』の4行目、列『氏名』: 空欄にできません",
        "シート『名簿』の4行目、列『役割』: 「営業部長」はこの列で使えません。使える値: "
        + "、".join(r.name("ja") for r in taxonomy.roles.values()),
        "シート『名簿』の4行目、列『稼働開始日』: 「2027-13-01」は日付として読めません。2027-04-01や2027/4/1のように書いてください",
        "シート『名簿』の4行目、列『月あたり稼働時間』: 999は範囲外です（0〜744）",
        "シート『名簿』の5行目、列『管理番号』: 同じ管理番号が2行目にもあります",
    ]
    assert (_count(session, ExpertProfile), _count(session, AuditEvent)) == (0, 0)


def test_roster_csv_errors_name_row_and_column_in_english(app, session, taxonomy):
    data = _csv([["管理番号", "氏名", "分野", "市区町村"], ["A", "甲", "宇宙", "府中市"]], "cp932")
    with force_locale("en"):
        check = roster.check_roster(session, roster.read_roster(data, "a.csv", taxonomy), taxonomy, None)
        errors = [str(e) for e in check.errors]
    assert errors[0].startswith("Row 2, column “分野”: “宇宙” is not a value of this column; use one of: ")
    assert errors[1] == "Row 2, column “市区町村”: “府中市” could be 東京都府中市, 広島県府中市: give the prefecture too"


def test_roster_header_problems_are_reported_before_any_row(app, session, taxonomy):
    data = _csv([["管理番号", "名前", "氏名", "備考"], ["A", "甲", "甲", "x"]])
    with force_locale("ja"):
        roster_file = roster.read_roster(data, "a.csv", taxonomy)
        errors = [str(e) for e in roster_file.errors]
    assert errors == ["1行目、列『氏名』: 同じ列が2つあります（『名前』と重複）",
                      "1行目、列『備考』: この列名は使えません。テンプレートの列名にあわせるか（「記入方法」シートを参照）、列を削除してください"]
    assert roster_file.rows == []


# -- who may overwrite what --------------------------------------------------------------------------------------

def test_roster_never_overwrites_a_self_registered_expert(app, session, taxonomy, bureaus):
    shinetsu, _kanto = bureaus
    own = expert(session, name="本人 登録")  # has a user account
    admin = user(session, "admin")
    data = _csv([["管理番号", "氏名"], [own.external_id, "上書き 太郎"]])
    for actor in (shinetsu, admin, None):
        _check, report, errors = _import(session, taxonomy, data, "a.csv", actor, scheme="adviser")
        assert report is None
        assert errors == [f"2行目、列『管理番号』: この管理番号はハブに本人が登録した人材のものです。その情報は本人だけが変更できます。"
                          "別の管理番号にするか、行を削除してください"]
    session.refresh(own)
    assert own.name == "本人 登録"


def test_roster_bureau_updates_only_its_own_roster(app, session, taxonomy, bureaus):
    shinetsu, kanto = bureaus
    first = _csv([["管理番号", "氏名", "月あたり稼働時間"], ["S-1", "信越 一郎", "10"]])
    _check, report, errors = _import(session, taxonomy, first, "a.csv", shinetsu, scheme="adviser")
    assert errors == [] and report.created == 1
    source = session.scalars(select(ExpertRosterSource)).one()
    assert source.organization_id == shinetsu.organization_id
    # another bureau's roster with the same ID: refused, nothing changes
    other = _csv([["管理番号", "氏名"], ["S-1", "関東 二郎"]])
    _check, report, errors = _import(session, taxonomy, other, "b.csv", kanto, scheme="adviser")
    assert report is None and "ほかの組織が取り込んだ人材" in errors[0]
    # the same bureau updates; admins may update too
    again = _csv([["管理番号", "氏名"], ["S-1", "信越 一郎（更新）"]])
    _check, report, errors = _import(session, taxonomy, again, "a.csv", shinetsu, scheme="adviser")
    assert errors == [] and (report.created, report.updated) == (0, 1)
    _check, report, errors = _import(session, taxonomy, other, "b.csv", user(session, "admin"), scheme="adviser")
    assert errors == [] and report.updated == 1
    profile = session.scalars(select(ExpertProfile).where(ExpertProfile.external_id == "S-1")).one()
    assert (profile.name, profile.hours_per_month) == ("関東 二郎", 10)  # hours: no column, kept


def test_roster_bureau_may_not_overwrite_an_expert_imported_otherwise(app, session, taxonomy, bureaus):
    shinetsu, _kanto = bureaus
    cli_imported = expert(session, name="名簿外 三郎", account=False)  # e.g. from import-experts: no roster source
    data = _csv([["管理番号", "氏名"], [cli_imported.external_id, "上書き"]])
    _check, report, errors = _import(session, taxonomy, data, "a.csv", shinetsu, scheme="adviser")
    assert report is None and "ほかの組織が取り込んだ人材" in errors[0]


def test_roster_update_keeps_history_and_columns_the_file_lacks(app, session, taxonomy):
    shiojiri = org(session)
    profile = expert(session, name="履歴 四郎", account=False, skills={"backend_dev": 3}, bio="窓口DXの経験")
    session.add(Engagement(expert=profile, organization=shiojiri, source="import", title="窓口予約", role="PM",
                           start_date=date(2024, 4, 1), end_date=date(2025, 3, 31), hours_per_month=10,
                           status="completed"))
    session.flush()
    data = _csv([["管理番号", "氏名", "月あたり稼働時間"], [profile.external_id, "履歴 四郎", "12"]])
    _check, report, errors = _import(session, taxonomy, data, "a.csv")
    assert errors == [] and report.updated == 1
    session.expire_all()
    profile = session.get(ExpertProfile, profile.id)
    assert profile.hours_per_month == 12
    assert (profile.bio, profile.skill_levels) == ("窓口DXの経験", {"backend_dev": 3})
    assert [e.title for e in profile.engagements] == ["窓口予約"]


def test_roster_bureau_imports_advisers_only(app, session, taxonomy, bureaus):
    shinetsu, _kanto = bureaus
    data = _csv([["管理番号", "氏名", "制度"], ["S-9", "甲", "外部人材リスト"]])
    _check, report, errors = _import(session, taxonomy, data, "a.csv", shinetsu, scheme="adviser")
    assert report is None
    assert errors == ["2行目、列『制度』: 制度「external_list」の人材を取り込む権限がありません"]
    _check, report, errors = _import(session, taxonomy, data, "a.csv", shinetsu, scheme="external_list")
    assert errors == ["この種類の名簿を取り込む権限がありません。"]


# -- caps and hostile files --------------------------------------------------------------------------------------

def _refused(taxonomy, data: bytes, name: str, **options) -> str:
    with force_locale("ja"):
        with pytest.raises(roster.RosterRefused) as caught:
            roster.read_roster(data, name, taxonomy, **options)
        return str(caught.value)


def test_roster_refuses_old_macro_and_fake_workbooks(app, session, taxonomy):
    assert "古い形式のExcelファイル（.xls）" in _refused(taxonomy, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
                                                     "old.xls")
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"\0" * 10)
    assert "マクロを含むファイル" in _refused(taxonomy, workbook.getvalue(), "macro.xlsx")
    assert "マクロを含むファイル" in _refused(taxonomy, _xlsx([HEADER]), "roster.xlsm")
    assert "Excelブック（.xlsx）として開けません" in _refused(taxonomy, b"just text, not a zip", "roster.xlsx")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    assert "Excelブック（.xlsx）として開けません" in _refused(taxonomy, broken.getvalue(), "broken.xlsx")
    assert "ファイルが空です" in _refused(taxonomy, b"  \r\n", "empty.csv")
    assert "文字コードがUTF-8でもShift_JISでもありません" in _refused(taxonomy, b"\xff\xfe\x00\x81\xff", "x.csv")
    assert "閉じていない引用符" in _refused(taxonomy, "管理番号,氏名\n\"A".encode() + b"x" * 200_000, "q.csv")
    assert "シートがありません" in _refused(taxonomy, _xlsx([HEADER]), "a.xlsx", sheet="Sheet9")


def test_roster_refuses_a_zip_bomb_before_opening_it(app, session, taxonomy):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (limits.ROSTER_UNPACKED_BYTES + 1))
    assert len(bomb.getvalue()) < 1_000_000
    started = time.perf_counter()
    assert "MBを超えます" in _refused(taxonomy, bomb.getvalue(), "bomb.xlsx")
    assert time.perf_counter() - started < 5


def _raw_xlsx(rows: int) -> bytes:
    """A workbook written part by part (openpyxl would take minutes for a million rows)."""
    body = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R{n}</t></is></c>'
                   f'<c r="B{n}" t="inlineStr"><is><t>名前</t></is></c></row>' for n in range(2, rows + 2))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>管理番号</t></is></c>'
             f'<c r="B1" t="inlineStr"><is><t>氏名</t></is></c></row>{body}</sheetData></worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
                         'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
                         'application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
                         'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
                         'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                         'spreadsheetml.worksheet+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
                         'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                         'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/'
                         'workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.'
                         'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                         '2006/relationships"><sheets><sheet name="名簿" sheetId="1" r:id="rId1"/></sheets>'
                         '</workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
                         'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="'
                         'worksheets/sheet1.xml"/></Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def test_roster_refuses_a_million_row_sheet_quickly(app, session, taxonomy):
    data = _raw_xlsx(1_000_000)
    assert len(data) < limits.ROSTER_FILE_BYTES
    started = time.perf_counter()
    assert "MBを超えます" in _refused(taxonomy, data, "huge.xlsx")  # its parts unpack past the cap
    assert time.perf_counter() - started < 5


def test_roster_stops_reading_a_sheet_at_the_row_cap(app, session, taxonomy):
    data = _raw_xlsx(100_000)  # unpacks within the cap: the rows are counted as they are read
    started = time.perf_counter()
    assert "20000行を超えています" in _refused(taxonomy, data, "long.xlsx")
    assert time.perf_counter() - started < 30  # reading stops at the cap, it does not go on to 100,000


def test_roster_refuses_a_million_row_csv_quickly(app, session, taxonomy):
    data = ("管理番号,氏名\n" + "1,a\n" * 1_000_000).encode()
    started = time.perf_counter()
    assert "20000行を超えています" in _refused(taxonomy, data, "huge.csv")
    assert time.perf_counter() - started < 10


def test_roster_caps_columns_cells_and_file_size(app, session, taxonomy):
    wide = _csv([["管理番号", "氏名"] + [f"c{i}" for i in range(limits.ROSTER_COLUMNS)]])
    assert "60列を超えています" in _refused(taxonomy, wide, "wide.csv")
    assert "MBを超えています" in _refused(taxonomy, b"a" * (limits.ROSTER_FILE_BYTES + 1), "big.csv")
    long_cell = _csv([["管理番号", "氏名", "経歴"], ["A", "甲", "x" * (limits.ROSTER_CELL_CHARS + 1)],
                      ["B", "乙", "y" * (limits.BIO + 1)]])
    _check, report, errors = _import(session, taxonomy, long_cell, "long.csv")
    assert report is None
    assert errors == ["2行目、列『経歴』: セルに10001文字あります。上限は10000文字です",
                      "3行目、列『経歴』: 4001文字あります。上限は4000文字です"]


def test_roster_rows_past_the_cap_are_refused(app, session, taxonomy, monkeypatch):
    monkeypatch.setattr(limits, "ROSTER_ROWS", 3)
    data = _csv([["管理番号", "氏名"]] + [[f"A{i}", "甲"] for i in range(4)])
    assert "3行を超えています" in _refused(taxonomy, data, "a.csv")


def test_roster_cell_without_header_and_formula_without_value(app, session, taxonomy):
    """A formula is read as its value when last saved (data_only); one never calculated is an empty cell."""
    data = _xlsx([["管理番号", "氏名", None], ["A", "=1+1", "stray"]])
    _check, report, errors = _import(session, taxonomy, data, "a.xlsx")
    assert errors == ["シート『名簿』の2行目、列『3列目』: 列名のない列に値があります",
                      "シート『名簿』の2行目、列『氏名』: 空欄にできません"]


# -- the declaration, the templates, the docs, the CLI ----------------------------------------------------------

def test_roster_columns_declaration_is_checked(taxonomy):
    with pytest.raises(RosterColumnsError) as caught:
        build({"columns": [{"key": "name", "header_ja": "氏名", "header_en": "Name", "read": "list",
                            "help_ja": "x", "help_en": "x", "vocabulary": "planets"},
                           {"key": "nickname", "header_ja": "名前", "header_en": "Name", "read": "text",
                            "help_ja": "x", "help_en": "x"}]}, taxonomy)
    text = str(caught.value)
    for problem in ("unknown vocabulary 'planets'", "key 'nickname' is not an interchange expert key",
                    "no column for the required key external_id"):
        assert problem in text


def test_roster_template_imports_as_is_and_explains_each_column(app, client, session, taxonomy):
    admin = user(session, "admin", locale="ja")
    session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = admin.get_id(), True
    response = client.get("/roster/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == ["名簿", "記入方法"]
    columns = load_columns(taxonomy).columns
    rows = list(workbook["名簿"].iter_rows(values_only=True))
    assert list(rows[0]) == [c.header_ja for c in columns]
    guide = list(workbook["記入方法"].iter_rows(values_only=True))
    assert guide[0][:2] == ("列名", "必須")
    assert [r[0] for r in guide[1:len(columns) + 1]] == [c.header_ja for c in columns]
    assert "リモート、現地訪問、常駐" in next(r for r in guide if r[0] == "勤務形態")[4]
    _check, report, errors = _import(session, taxonomy, response.data, "template.xlsx", scheme="adviser")
    assert errors == [] and report.created == 1  # the example row is a valid row
    csv_response = client.get("/roster/template.csv")
    assert csv_response.data.startswith(b"\xef\xbb\xbf\xe7\xae\xa1")  # BOM, 管理番号
    _check, report, errors = _import(session, taxonomy, csv_response.data, "template.csv")
    assert errors == [] and report.updated == 1


def test_roster_docs_are_generated_from_the_declaration(taxonomy):
    path = Path(__file__).resolve().parents[2] / "docs" / "roster.md"
    assert path.read_text(encoding="utf-8") == documentation(load_columns(taxonomy), taxonomy), \
        "docs/roster.md is stale: run .venv/bin/python scripts/roster_docs.py"


def test_roster_cli_prints_errors_or_counts(app, session, tmp_path):
    bad = tmp_path / "名簿.csv"
    bad.write_bytes(_csv([["管理番号", "氏名", "メール"], ["C1", "甲", "x@y"]], "cp932"))
    result = app.test_cli_runner().invoke(args=["import-roster", str(bad), "--scheme", "adviser"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["2行目、列『メール』: メールアドレスの形式が正しくありません",
                                          "名簿.csv: 1 error(s); nothing was imported."]
    assert _count(session, ExpertProfile) == 0
    good = tmp_path / "roster.xlsx"
    good.write_bytes(_xlsx([["管理番号", "氏名"], ["C1", "甲"], ["C2", "乙"]], extra_sheets=("記入方法",)))
    result = app.test_cli_runner().invoke(args=["import-roster", str(good), "--sheet", "名簿"])
    assert result.exit_code == 0, result.output
    assert "roster.xlsx (xlsx, sheet 名簿): 2 experts: 2 created, 0 updated." in result.stderr
    assert _count(session, ExpertProfile) == 2
    assert _count(session, RosterUpload) == 0
