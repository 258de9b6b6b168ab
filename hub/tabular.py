"""Tables of numbers or rows, written once and served as HTML, CSV and Excel alike.

A dashboard chart's table, an exported expert list and a downloadable template are all a `Table`:
titled columns (labels are translatable strings, rendered in the viewer's language when written) and
rows of plain values. `to_csv` and `to_xlsx` are the only writers, so every download of the hub has
the same shape: a header row, one row per item, UTF-8 with a byte-order mark for CSV (Excel on
Windows reads Japanese correctly only with it), a frozen, bold header row and sensible column widths
for Excel.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["Column", "Table", "to_csv", "to_xlsx", "XLSX_MIMETYPE", "CSV_MIMETYPE"]

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
_SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: `key` reads the row, `label` is the header (a lazy translated string or text)."""
    key: str
    label: Any
    width: int | None = None  # Excel column width in characters; None: from the content
    number_format: str | None = None  # e.g. "0.0" or "0%"


@dataclass
class Table:
    """A titled table; `rows` are dicts keyed by the columns' keys (missing keys are empty cells)."""
    name: str  # a stable identifier, used in file names and anchors: "supply_by_prefecture"
    title: Any  # a lazy translated string or text; the Excel sheet's name
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: Any = None  # shown under the table and written as a last line in Excel

    def cells(self) -> Iterable[list[Any]]:
        for row in self.rows:
            yield [row.get(column.key) for column in self.columns]

    def headers(self) -> list[str]:
        return [str(column.label) for column in self.columns]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(_text(v) for v in value)
    return str(value)


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in text cells (CSV injection): a leading = + - @ becomes text."""
    if text and text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(table: Table) -> bytes:
    """The table as CSV bytes: UTF-8 with BOM, CRLF line ends, one header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers())
    for cells in table.cells():
        writer.writerow([_safe(_text(v)) if not isinstance(v, (int, float)) or isinstance(v, bool) else v
                         for v in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = (title.translate(_SHEET_FORBIDDEN).strip("'") or "Sheet")[:_SHEET_TITLE_MAX]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:_SHEET_TITLE_MAX - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; the hub stores UTC
    if isinstance(value, date):
        return value
    return _safe(_text(value))


def _display_width(text: str) -> int:
    """Characters as Excel counts them: East Asian wide characters take two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """The tables as one workbook, a sheet per table, each with a frozen bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="E8EEF4")
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(str(table.title), used))
        headers = table.headers()
        sheet.append(headers)
        widths = [_display_width(h) for h in headers]
        for cells in table.cells():
            values = [_xlsx_value(v) for v in cells]
            sheet.append(values)
            for i, value in enumerate(values):
                if value is not None:
                    widths[i] = max(widths[i], min(_display_width(_text(value)), 60))
        for i, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=1, column=i)
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            letter = get_column_letter(i)
            sheet.column_dimensions[letter].width = column.width or max(6, widths[i - 1] + 2)
            if column.number_format:
                for (data_cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    data_cell.number_format = column.number_format
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
        if table.note:
            sheet.append([])
            sheet.append([_safe(str(table.note))])
    if not tables:
        workbook.create_sheet("Sheet")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
