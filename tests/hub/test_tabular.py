"""The one CSV and Excel writer: headers, values, formula neutralising, sheet names."""
import io
from datetime import date

from openpyxl import load_workbook

from hub.tabular import Column, Table, to_csv, to_xlsx


def _table(**kw):
    columns = [Column("name", "氏名"), Column("hours", "残り時間"), Column("note", "メモ")]
    rows = [{"name": "山田 花子", "hours": 12, "note": "=HYPERLINK(\"x\")"}, {"name": "佐藤", "hours": 0.5}]
    return Table(name="t", title=kw.get("title", "一覧"), columns=columns, rows=rows)


def test_csv_has_bom_header_rows_and_no_formulas():
    text = to_csv(_table()).decode("utf-8")
    assert text.startswith("\ufeff氏名,残り時間,メモ\r\n")
    lines = text.lstrip("\ufeff").split("\r\n")
    assert lines[1] == "山田 花子,12,\"'=HYPERLINK(\"\"x\"\")\""
    assert lines[2] == "佐藤,0.5,"


def test_xlsx_opens_with_header_rows_and_types():
    table = _table()
    table.rows.append({"name": "-5", "hours": None, "note": date(2026, 4, 1)})
    book = load_workbook(io.BytesIO(to_xlsx([table, _table(title="一覧")])))
    assert book.sheetnames == ["一覧", "一覧 (2)"]
    sheet = book["一覧"]
    assert [c.value for c in sheet[1]] == ["氏名", "残り時間", "メモ"]
    assert sheet["B2"].value == 12 and sheet["C2"].value.startswith("'=")
    assert sheet["A4"].value == "-5" and sheet["C4"].value.date() == date(2026, 4, 1)
    assert sheet.freeze_panes == "A2"
