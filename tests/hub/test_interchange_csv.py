"""Expert CSV import: the documented header, cells turned into interchange values, errors with line numbers."""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from hub.models import Engagement, ExpertProfile
from hub.services import interchange

HEADER = list(interchange.CSV_COLUMNS)
GOOD = {
    "external_id": "C001", "name": "鈴木 一郎", "email": "ichiro@example.jp", "talent_type": "XD",
    "roles": "data_engineer|backend_engineer", "skills": "data_platform_design:3|backend_dev:2",
    "bio": "防災情報の可視化,地図連携", "fields": "disaster_prevention", "stages_led": "development|operations",
    "home_lg_code": "011002", "remote": "true", "onsite": "yes", "resident": "0", "max_travel_km": "300",
    "travel_prefectures": "01|02", "hours_per_month": "24", "available_from": "2026-10-01", "available_until": "",
    "fee_unit": "day", "fee_amount": "50000", "fee_negotiable": "false", "schemes": "adviser",
    "engagements": '[{"org_lg_code": "012025", "title": "函館の避難所DX", "start": "2024-04-01", '
                   '"end": "2025-03-31", "hours_per_month": 8, "status": "completed", "rating": 5}]',
}


def csv_bytes(rows: list[dict], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows([{k: row.get(k, "") for k in header} for row in rows])
    return ("\ufeff" + out.getvalue()).encode()  # as spreadsheet programs save it


def test_interchange_csv_imports_every_column(session, taxonomy):
    report = interchange.import_experts(session, csv_bytes([GOOD]), taxonomy, format="csv")
    assert report.ok and report.created == 1, report.errors
    (exported,) = interchange.export_experts(session)
    assert exported["roles"] == ["backend_engineer", "data_engineer"]
    assert exported["skills"] == {"backend_dev": 2, "data_platform_design": 3}
    assert exported["bio"] == "防災情報の可視化,地図連携"
    assert exported["work_styles"] == {"remote": True, "onsite": True, "resident": False}
    assert exported["travel_prefectures"] == ["01", "02"] and exported["home_lg_code"] == "011002"
    assert exported["fee"] == {"unit": "day", "amount": 50000, "negotiable": False}
    assert exported["available_until"] is None and exported["max_travel_km"] == 300
    assert exported["engagements"][0]["rating"] == 5 and exported["engagements"][0]["org_lg_code"] == "012025"


def test_interchange_csv_needs_only_the_required_columns(session, taxonomy):
    data = "external_id,name,talent_type\nC9,最小 列,D\n".encode()
    report = interchange.import_experts(session, data, taxonomy, format="csv")
    assert report.ok and report.created == 1
    profile = session.scalars(select(ExpertProfile)).one()
    assert (profile.name, profile.hours_per_month, profile.fee_unit) == ("最小 列", 0, None)


def test_interchange_csv_reports_cell_errors_with_line_numbers(session, taxonomy):
    rows = [
        GOOD,
        GOOD | {"external_id": "C002", "hours_per_month": "四十", "home_lg_code": "11002"},  # line 3
        GOOD | {"external_id": "C003", "skills": "backend_dev|sre:9", "remote": "maybe"},   # line 4
        GOOD | {"external_id": "C004", "engagements": "[{not json"},                        # line 5
        GOOD | {"external_id": "C001"},                                                     # line 6: duplicate
    ]
    report = interchange.import_experts(session, csv_bytes(rows), taxonomy, format="csv")
    found = {(e.line, e.field) for e in report.errors}
    assert found == {(3, "hours_per_month"), (3, "home_lg_code"), (4, "skills.backend_dev"), (4, "skills.sre"),
                     (4, "work_styles.remote"), (5, "engagements"), (6, "external_id")}
    assert session.scalar(select(func.count()).select_from(ExpertProfile)) == 0


def test_interchange_csv_counts_lines_of_multiline_cells(taxonomy):
    rows = [GOOD | {"bio": "一行目\n二行目\n三行目"}, GOOD | {"external_id": "C002", "talent_type": "Q"}]
    parsed = interchange.parse_experts(csv_bytes(rows), taxonomy, format="csv")
    assert [(e.line, e.field) for e in parsed.errors] == [(5, "talent_type")]


def test_interchange_csv_rejects_unknown_and_missing_columns(taxonomy):
    data = "external_id,name,nickname\nC1,x,y\n".encode()
    parsed = interchange.parse_experts(data, taxonomy, format="csv")
    assert {(e.line, e.field) for e in parsed.errors} == {(1, "nickname"), (1, "talent_type")}


def test_interchange_csv_rejects_short_rows_and_bad_utf8(taxonomy):
    data = "external_id,name,talent_type\nC1,x\n".encode() + b"C2,\xe6\x97,D\n"
    parsed = interchange.parse_experts(data, taxonomy, format="csv")
    assert [(e.line, e.field) for e in parsed.errors] == [(2, "(row)"), (3, "encoding")]


def test_interchange_csv_and_jsonl_give_the_same_expert(session, taxonomy, tmp_path):
    interchange.import_experts(session, csv_bytes([GOOD]), taxonomy, format="csv")
    (from_csv,) = interchange.export_experts(session)
    again = interchange.import_experts(session, interchange_line(from_csv), taxonomy)
    assert again.updated == 1
    (from_jsonl,) = interchange.export_experts(session)
    assert from_jsonl == from_csv
    assert session.scalar(select(func.count()).select_from(Engagement)) == 1


def interchange_line(obj: dict) -> bytes:
    out = io.StringIO()
    interchange.write_jsonl([obj], out)
    return out.getvalue().encode()


def test_interchange_csv_takes_the_format_2_columns(session, taxonomy):
    header = ["external_id", "name", "talent_type", "phone", "status", "listed", "visibility", "notify_opt_in",
              "availability_confirmed_at"]
    row = {"external_id": "C7", "name": "列 七子", "talent_type": "X", "phone": "026-000-0000", "status": "paused",
           "listed": "no", "visibility": "public", "notify_opt_in": "false",
           "availability_confirmed_at": "2026-11-30T09:00:00+09:00"}
    assert interchange.import_experts(session, csv_bytes([row], header), taxonomy, format="csv").ok
    (exported,) = interchange.export_experts(session)
    assert {k: exported[k] for k in header[3:]} == {
        "phone": "026-000-0000", "status": "paused", "listed": False, "visibility": "public", "notify_opt_in": False,
        "availability_confirmed_at": "2026-11-30T00:00:00+00:00"}
