"""Rosters in: an adviser roster or an external-talent list (外部人材リスト) from .xlsx or CSV with Japanese headers.

A roster is read in three steps, and nothing is written unless all of them pass (all or nothing):
1. `read_roster` opens the file (an .xlsx workbook read-only, or CSV in UTF-8 with or without BOM or in
   Shift_JIS/cp932), finds each column by its header (hub/data/roster_columns.yaml, hub/services/roster_columns.py)
   and turns every row into an interchange expert object (docs/interchange.md); caps on size, rows, columns
   and cell length refuse hostile files before they cost memory;
2. `check_roster` refuses rows that would overwrite an expert the user may not (a self-registered one, one
   another organization's roster created: hub/permissions.py), then validates every object with the checker
   of `flask import-experts` (interchange.parse_expert_objects), so one rule holds for every way in;
3. `apply_roster` writes the valid records with interchange.apply_experts, records whose roster each new
   expert came from, reads skills from the texts, and audits `expert.import`.
Every error names the sheet, the row and the column as the user sees them in the file.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub import limits, permissions
from hub.gazetteer import Gazetteer, load_gazetteer
from hub.models import ExpertProfile, ExpertRosterSource, RosterUpload, User
from hub.services import audit, interchange, jobs
from hub.services.roster_columns import Column, Columns, load_columns, normalize
from skill_taxonomy import Taxonomy

FORMATS = ("xlsx", "csv")
INSTRUCTIONS_SHEETS = ("記入方法", "How to fill in")
ROSTER_SHEETS = ("名簿", "Roster")
YES = {normalize(w) for w in ("はい", "○", "◯", "〇", "有", "可", "yes", "y", "true", "1", "✓", "✔")}
NO = {normalize(w) for w in ("いいえ", "×", "✕", "✗", "無", "不可", "no", "n", "false", "0", "-")}
_SPLIT_RE = re.compile(r"[、,，;；\n\r]+")
_SKILL_RE = re.compile(r"^(?P<name>.+?)\s*(?:[:：=＝]\s*(?P<a>[^:：=＝]+)|[(（]\s*(?P<b>[^)）]+)[)）])$")
_LEVEL_RE = re.compile(r"^(?:レベル|level|lv\.?)?\s*(\d+)$", re.IGNORECASE)
_INT_RE = re.compile(r"^[+-]?\d+$")
_DATE_RES = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
             re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"))
_XLS_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (OLE2)
_ZIP_SIGNATURE = b"PK\x03\x04"


# -- errors ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RosterError:
    """What is wrong, where the user sees it: the sheet (None for CSV), the row and column header (None: all)."""

    message: Any  # a lazy translated string, rendered in the reader's language
    row: int | None = None
    column: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        message = str(self.message)
        if self.row is None:
            return message
        if self.sheet is not None and self.column is not None:
            return str(_l("Sheet “%(sheet)s”, row %(row)d, column “%(column)s”: %(message)s",
                          sheet=self.sheet, row=self.row, column=self.column, message=message))
        if self.sheet is not None:
            return str(_l("Sheet “%(sheet)s”, row %(row)d: %(message)s", sheet=self.sheet, row=self.row,
                          message=message))
        if self.column is not None:
            return str(_l("Row %(row)d, column “%(column)s”: %(message)s", row=self.row, column=self.column,
                          message=message))
        return str(_l("Row %(row)d: %(message)s", row=self.row, message=message))


class RosterRefused(Exception):
    """The file as a whole cannot be read (wrong kind, too large, no header): nothing in it was looked at."""

    def __init__(self, message: Any):
        super().__init__(message)
        self.message = message  # lazy: rendered in the reader's language

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class RosterRow:
    row: int
    obj: dict
    present: set[str]  # the interchange keys the file has a column for


@dataclass
class RosterFile:
    """A roster read from a file: its rows as interchange objects, the errors of reading them, how it was read."""

    filename: str
    format: str
    sheet: str | None
    encoding: str | None
    headers: dict[str, str]  # column key -> the header as written in the file
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)

    def header_of(self, column: Column) -> str:
        return self.headers.get(column.key) or column.header_ja

    def error(self, message: Any, row: int | None = None, column: Column | str | None = None) -> None:
        header = self.header_of(column) if isinstance(column, Column) else column
        self.errors.append(RosterError(message, row, header, self.sheet))


@dataclass
class RosterCheck:
    """The outcome of checking a roster: valid records (usable only when there are no errors) and every error."""

    roster: RosterFile
    records: list = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)  # external_id -> expert id, for rows that update

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RosterReport:
    records: int = 0
    created: int = 0
    updated: int = 0
    skills_read_from_text: int = 0


# -- reading the file --------------------------------------------------------------------------------------------

def detect_format(filename: str, data: bytes) -> str:
    """xlsx or csv, from the bytes first (a renamed file is what it is), refusing macro and old Excel files."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_XLS_SIGNATURE) or suffix == "xls":
        raise RosterRefused(_l("This is an old Excel file (.xls). Open it in Excel and save it as an Excel "
                               "workbook (.xlsx) or as CSV, then upload that file."))
    if suffix in ("xlsm", "xltm", "xlsb"):
        raise RosterRefused(_l("Files with macros (.xlsm) or binary workbooks (.xlsb) are not accepted. Save the "
                               "roster as an Excel workbook (.xlsx) or as CSV."))
    if data.startswith(_ZIP_SIGNATURE):
        return "xlsx"
    if suffix in ("xlsx", "xltx", "zip"):
        raise RosterRefused(_l("The file is not an Excel workbook (.xlsx): it could not be opened as one."))
    return "csv"


def read_roster(data: bytes, filename: str, taxonomy: Taxonomy, *, sheet: str | None = None,
                gazetteer: Gazetteer | None = None) -> RosterFile:
    """Read every row of an .xlsx or CSV roster into interchange objects; raise RosterRefused for a bad file."""
    if len(data) > limits.ROSTER_FILE_BYTES:
        raise RosterRefused(too_large_message())
    if not data.strip():
        raise RosterRefused(_l("The file is empty."))
    fmt = detect_format(filename, data)
    columns = load_columns(taxonomy)
    gazetteer = gazetteer or load_gazetteer()
    if fmt == "xlsx":
        sheet_name, rows = _xlsx_rows(data, sheet)
        roster = RosterFile(filename, fmt, sheet_name, None, {})
    else:
        text, encoding = decode_csv(data)
        rows = _csv_rows(text)
        roster = RosterFile(filename, fmt, None, encoding, {})
    try:
        _read_rows(roster, rows, columns, taxonomy, gazetteer)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return roster


def too_large_message() -> Any:
    return _l("The file is larger than %(mb)d MB. Split the roster into several files and import them one by one.",
              mb=limits.ROSTER_FILE_BYTES // (1024 * 1024))


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without BOM), else Shift_JIS (cp932)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp932"), "Shift_JIS (cp932)"
    except UnicodeDecodeError as exc:
        raise RosterRefused(_l("The CSV file is neither UTF-8 nor Shift_JIS (byte %(at)d). Save it from Excel as "
                               "“CSV UTF-8” and upload it again.", at=exc.start + 1)) from None


def _csv_rows(text: str) -> Iterator[tuple[int, list]]:
    """(line number, cells) for each record; a record spanning lines gets its first line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise RosterRefused(_l("Line %(line)d cannot be read as CSV (%(problem)s): check for a quote mark (\") "
                               "that is not closed.", line=line, problem=str(exc))) from None


def _xlsx_rows(data: bytes, wanted: str | None) -> tuple[str, Iterator[tuple[int, list]]]:
    """The chosen sheet's name and its rows; a zip bomb, macros or a broken workbook are refused before reading."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise RosterRefused(_l("The file is not an Excel workbook (.xlsx): it could not be opened as one.")) from None
    names = {p.filename for p in parts}
    if "xl/vbaProject.bin" in names:
        raise RosterRefused(_l("Files with macros (.xlsm) or binary workbooks (.xlsb) are not accepted. Save the "
                               "roster as an Excel workbook (.xlsx) or as CSV."))
    if "xl/workbook.xml" not in names:
        raise RosterRefused(_l("The file is not an Excel workbook (.xlsx): it could not be opened as one."))
    # zipfile never inflates a part past its declared size, so the declared sizes bound what reading costs.
    if sum(p.file_size for p in parts) > limits.ROSTER_UNPACKED_BYTES or len(parts) > 10_000:
        raise RosterRefused(_l("The workbook unpacks to more than %(mb)d MB. Remove images and other sheets, or "
                               "save the roster as CSV.", mb=limits.ROSTER_UNPACKED_BYTES // (1024 * 1024)))
    from openpyxl import load_workbook
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds on a broken file; any means "cannot open")
        raise RosterRefused(_l("The file is not an Excel workbook (.xlsx): it could not be opened as one.")) from None
    names = list(workbook.sheetnames)
    if wanted:
        if wanted not in names:
            workbook.close()
            raise RosterRefused(_l("The workbook has no sheet “%(sheet)s”; its sheets are: %(sheets)s.",
                                   sheet=wanted, sheets="、".join(names)))
        name = wanted
    else:
        name = next((n for n in names if n in ROSTER_SHEETS), None) \
            or next((n for n in names if n not in INSTRUCTIONS_SHEETS), names[0] if names else None)
    if name is None:
        raise RosterRefused(_l("The workbook has no sheets."))
    worksheet = workbook[name]

    def rows() -> Iterator[tuple[int, list]]:
        try:
            for number, cells in enumerate(worksheet.iter_rows(max_col=limits.ROSTER_COLUMNS + 1, values_only=True),
                                           start=1):
                yield number, list(cells)
        except RosterRefused:
            raise
        except Exception:  # noqa: BLE001  (a malformed sheet part: the file is refused, not the server)
            raise RosterRefused(_l("The sheet “%(sheet)s” could not be read; save the workbook again in Excel.",
                                   sheet=name)) from None
        finally:
            workbook.close()

    return name, rows()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_rows(roster: RosterFile, rows: Iterator[tuple[int, list]], columns: Columns, taxonomy: Taxonomy,
               gazetteer: Gazetteer) -> None:
    header_row = None
    for number, cells in rows:
        if any(not _blank(c) for c in cells):
            header_row = (number, cells)
            break
    if header_row is None:
        raise RosterRefused(_l("The file has no header row: its first row must name the columns, as the template "
                               "does."))
    number, cells = header_row
    if any(not _blank(c) for c in cells[limits.ROSTER_COLUMNS:]):
        raise RosterRefused(_l("The header row has more than %(n)d columns.", n=limits.ROSTER_COLUMNS))
    found: list[Column | None] = []
    seen: dict[str, str] = {}
    for cell in cells[:limits.ROSTER_COLUMNS]:
        if _blank(cell):
            found.append(None)
            continue
        header = str(cell).strip()[:100]
        column = columns.find(header)
        if column is None:
            roster.error(_l("unknown column; use the template's headers (see the “How to fill in” sheet) or "
                            "delete the column"), number, header)
        elif column.key in seen:
            roster.error(_l("this column appears twice (also as “%(other)s”)", other=seen[column.key]), number,
                         header)
            column = None
        else:
            seen[column.key] = header
        found.append(column)
    roster.headers = seen
    for column in columns.columns:
        if column.required and column.key not in seen:
            roster.error(_l("required column “%(column)s” is missing", column=column.header_ja), number)
    if roster.errors:
        return
    data_rows = 0
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        data_rows += 1
        if data_rows > limits.ROSTER_ROWS:
            raise RosterRefused(_l("The file has more than %(n)d rows. Split it into several files.",
                                   n=limits.ROSTER_ROWS))
        values: dict[str, Any] = {}
        if any(not _blank(c) for c in cells[limits.ROSTER_COLUMNS:]):
            roster.error(_l("this cell has no column header above it"), number,
                         _l("column %(n)d", n=limits.ROSTER_COLUMNS + 1))
        for i, cell in enumerate(cells[:limits.ROSTER_COLUMNS]):
            column = found[i] if i < len(found) else None
            if column is None:
                if not _blank(cell):
                    roster.error(_l("this cell has no column header above it"), number,
                                 _l("column %(n)d", n=i + 1))
                continue
            if isinstance(cell, str) and len(cell) > limits.ROSTER_CELL_CHARS:
                roster.error(_l("the cell holds %(n)d characters; the limit is %(limit)d", n=len(cell),
                                limit=limits.ROSTER_CELL_CHARS), number, column)
                continue
            values[column.key] = cell
        obj = _row_object(roster, number, values, columns, taxonomy, gazetteer)
        roster.rows.append(RosterRow(number, obj, set(seen)))


# -- reading cells -----------------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel holds every number as a float: 12 is 12.0
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").replace(" ", "").strip()
    text = text.removesuffix("円").removesuffix("時間").removesuffix("km")
    return int(text) if _INT_RE.fullmatch(text) else None


def _date(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern in _DATE_RES:
        if m := pattern.fullmatch(text):
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            except ValueError:
                return None
    return None


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = normalize(_text(value))
    return True if word in YES else False if word in NO else None


def _parts(value: Any) -> list[str]:
    return [p.strip() for p in _SPLIT_RE.split(_text(value)) if p.strip()]


def _row_object(roster: RosterFile, row: int, values: dict[str, Any], columns: Columns, taxonomy: Taxonomy,
                gazetteer: Gazetteer) -> dict:
    """The interchange object of one row; cells that cannot be read are reported and left out."""
    obj: dict[str, Any] = {}
    fee: dict[str, Any] = {}
    home: dict[str, str] = {}
    for column in columns.columns:
        if column.key not in roster.headers and column.default is None:
            continue
        cell = values.get(column.key)
        if _blank(cell):
            if column.required:
                roster.error(_l("must not be empty"), row, column)
            if column.default is not None:
                cell = column.default
            else:
                continue
        value = _read_cell(roster, row, column, cell, columns, taxonomy)
        if value is None:
            continue
        if column.key.startswith("fee."):
            fee[column.key.removeprefix("fee.")] = value
        elif column.key.startswith("home."):
            home[column.key.removeprefix("home.")] = value
        else:
            obj[column.key] = value
    if "unit" in fee or "amount" in fee:
        obj["fee"] = fee
    if home:
        code = _home_code(roster, row, home, columns, gazetteer)
        if code is not None:
            obj["home_lg_code"] = code
    return obj


def _column(columns: Columns, key: str) -> Column:
    return next(c for c in columns.columns if c.key == key)


def _read_cell(roster: RosterFile, row: int, column: Column, cell: Any, columns: Columns,
               taxonomy: Taxonomy) -> Any:
    kind = column.read
    if kind in ("text", "prefecture", "municipality"):
        return _text(cell)
    if kind == "integer":
        if (value := _integer(cell)) is None:
            roster.error(_l("“%(value)s” is not a whole number", value=_text(cell)), row, column)
        return value
    if kind == "date":
        if (value := _date(cell)) is None:
            roster.error(_l("“%(value)s” is not a date; write it as 2027-04-01 or 2027/4/1", value=_text(cell)),
                         row, column)
        return value
    if kind == "yes_no":
        if (value := _yes_no(cell)) is None:
            roster.error(_l("“%(value)s” is neither yes nor no; write はい or いいえ (○ or ×)", value=_text(cell)),
                         row, column)
        return value
    if kind == "choice":
        value = columns.words[column.vocabulary].get(normalize(_text(cell)))
        if value is None:
            roster.error(_unknown_word(_text(cell), column, columns), row, column)
        return value
    if kind == "list":
        found, words = [], columns.words[column.vocabulary]
        for part in _parts(cell):
            if (value := words.get(normalize(part))) is None:
                roster.error(_unknown_word(part, column, columns), row, column)
            else:
                found.append(value)
        found = list(dict.fromkeys(found))
        if column.key == "work_styles":
            return {style: style in found for style in interchange.WORK_STYLE_KEYS}
        return found
    if kind == "skills":
        return _skills(roster, row, column, cell, taxonomy)
    raise AssertionError(kind)  # roster_columns.build admits only the readers above


def _unknown_word(word: str, column: Column, columns: Columns) -> Any:
    allowed = _list_separator().join(columns.allowed(column, _locale()))
    return _l("“%(value)s” is not a value of this column; use one of: %(allowed)s", value=word, allowed=allowed)


def _locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "ja")


def _list_separator() -> str:
    return ", " if _locale().startswith("en") else "、"


@lru_cache(maxsize=4)
def _skill_words(taxonomy: Taxonomy) -> dict[str, str]:
    """Normalized skill item words (id, Japanese and English name) -> item id, built once per taxonomy."""
    words = {}
    for item in taxonomy.items.values():
        for word in (item.id, item.name("ja"), item.name("en")):
            words[normalize(word)] = item.id
    return words


def _skills(roster: RosterFile, row: int, column: Column, cell: Any, taxonomy: Taxonomy) -> dict[str, int]:
    words = _skill_words(taxonomy)
    skills: dict[str, int] = {}
    for part in _parts(cell):
        m = _SKILL_RE.match(unicodedata.normalize("NFKC", part))
        name = m.group("name").strip() if m else part
        level_text = (m.group("a") or m.group("b")).strip() if m else None
        skill_id = words.get(normalize(name))
        if skill_id is None:
            roster.error(_l("“%(value)s” is not a DSS skill item (see the “How to fill in” sheet)", value=name),
                         row, column)
            continue
        level = _LEVEL_RE.fullmatch(level_text) if level_text else None
        if level is None:
            roster.error(_l("write the level of “%(value)s” after a colon, e.g. %(value)s:3", value=name), row, column)
            continue
        skills[skill_id] = int(level.group(1))
    return skills


def _home_code(roster: RosterFile, row: int, home: dict[str, str], columns: Columns,
               gazetteer: Gazetteer) -> str | None:
    """都道府県 + 市区町村 -> a local-government code; a prefecture alone gives the prefecture's code."""
    prefecture, municipality = home.get("prefecture"), home.get("municipality")
    pref_column, muni_column = _column(columns, "home.prefecture"), _column(columns, "home.municipality")
    if prefecture:
        try:
            code = gazetteer._resolve_prefecture(prefecture)  # noqa: SLF001  (the gazetteer's own name reader)
        except KeyError:
            roster.error(_l("“%(value)s” is not a prefecture", value=prefecture), row, pref_column)
            return None
    if not municipality:
        return next((p.lg_code for p in gazetteer.prefectures() if p.prefecture_code == code), None)
    try:
        places = [p for p in gazetteer.find(municipality, prefecture or None) if not p.is_prefecture]
    except KeyError:
        places = []
    if len(places) == 1:
        return places[0].lg_code
    if not places:
        where = _l("“%(value)s” is not a municipality of %(prefecture)s", value=municipality, prefecture=prefecture) \
            if prefecture else _l("“%(value)s” is not a municipality", value=municipality)
        roster.error(where, row, muni_column)
        return None
    roster.error(_l("“%(value)s” could be %(places)s: give the prefecture too", value=municipality,
                    places=_list_separator().join(p.full_name for p in places[:5])), row, muni_column)
    return None


# -- checking ----------------------------------------------------------------------------------------------------

# The checker of import-experts speaks English, in field paths; the roster's readers get its words in their
# language, at the column they typed. Unmatched messages are shown as the checker wrote them.
_CHECKER_MESSAGES: tuple[tuple[re.Pattern, Callable[..., Any]], ...] = (
    (re.compile(r"^'(?P<v>.*)' is not an email address$"), lambda v: _l("the email address is not valid")),
    (re.compile(r"^is (?P<n>\d+) characters long; the limit is (?P<limit>\d+)$"),
     lambda n, limit: _l("%(n)s characters; the limit is %(limit)s", n=n, limit=limit)),
    (re.compile(r"^(?P<v>-?\d+) is out of range (?P<low>[\d.-]+)–(?P<high>[\d.-]+)$"),
     lambda v, low, high: _l("%(v)s is out of range (%(low)s to %(high)s)", v=v, low=low, high=high)),
    (re.compile(r"^(?P<end>\S+) is before \S+ (?P<start>\S+)$"),
     lambda end, start: _l("%(end)s is before the start %(start)s", end=end, start=start)),
    (re.compile(r"^(?:must not be empty|required key is missing)$"), lambda: _l("must not be empty")),
    (re.compile(r"^'.*' already on line (?P<line>\d+)$"),
     lambda line: _l("the same ID is also on row %(line)s", line=line)),
    (re.compile(r"^contains a NUL character$"), lambda: _l("contains a NUL character")),
    (re.compile(r"^unknown .+ '(?P<v>.*)'$"), lambda v: _l("“%(v)s” is not a known value", v=v)),
)


def _checker_message(message: str) -> Any:
    for pattern, translated in _CHECKER_MESSAGES:
        if m := pattern.match(message):
            return translated(**{k: v for k, v in m.groupdict().items()})
    return message


def _column_of_path(path: str, columns: Columns) -> Column | None:
    """The column a checker field path came from: skills.backend_dev -> スキルとレベル, fee.amount -> 報酬額."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    if head == "fee":
        sub = path.split(".")[1] if "." in path else "amount"
        return next((c for c in columns.columns if c.key == f"fee.{sub}"), None)
    if head == "home_lg_code":
        return next((c for c in columns.columns if c.key == "home.municipality"), None)
    return next((c for c in columns.columns if c.key == head), None)


def check_roster(session: Session, roster: RosterFile, taxonomy: Taxonomy, actor: User | None, *,
                 scheme: str | None = None, gazetteer: Gazetteer | None = None) -> RosterCheck:
    """Validate every row (the import-experts checker) and refuse rows the actor may not write. Writes nothing."""
    gazetteer = gazetteer or load_gazetteer()
    columns = load_columns(taxonomy)
    check = RosterCheck(roster, errors=list(roster.errors))
    allowed_schemes = permissions.roster_schemes(actor)
    if scheme is not None and scheme not in allowed_schemes:
        check.errors.append(RosterError(_l("You may not import this kind of list.")))
        return check
    id_column, scheme_column = _column(columns, "external_id"), _column(columns, "schemes")
    ids = [r.obj["external_id"] for r in roster.rows if isinstance(r.obj.get("external_id"), str)]
    existing = _existing(session, ids)
    merged: list[tuple[int, dict]] = []
    bases = _exported(session, [existing[i]["id"] for i in ids if i in existing
                                and _may_overwrite(actor, existing[i])])
    for r in roster.rows:
        obj = dict(r.obj)
        schemes = list(obj.get("schemes", []))
        if scheme is not None and scheme not in schemes:
            schemes.append(scheme)
        if bad := [s for s in schemes if s not in allowed_schemes]:
            roster.error(_l("you may not import experts of the scheme %(scheme)s", scheme=", ".join(bad)), r.row,
                         scheme_column)
            check.errors.append(roster.errors.pop())
        obj["schemes"] = schemes
        found = existing.get(obj.get("external_id"))
        if found is not None:
            if not _may_overwrite(actor, found):
                reason = (_l("this ID belongs to an expert who registered on the hub themselves; their profile is "
                             "theirs to change. Give the row another ID, or remove it")
                          if found["user_id"] is not None or found["deleted"] else
                          _l("this ID belongs to an expert another organization imported; the row would overwrite "
                             "their profile. Give the row another ID, or remove it"))
                check.errors.append(RosterError(reason, r.row, roster.header_of(id_column), roster.sheet))
                continue
            base = bases.get(found["id"])
            if base is not None:
                obj = _merge(base, obj, r.present)
            check.existing[obj["external_id"]] = found["id"]
        merged.append((r.row, obj))
    parsed = interchange.parse_expert_objects(merged, taxonomy, gazetteer=gazetteer)
    seen = {(e.row, e.column) for e in check.errors}  # one error per cell: a reader's error says it already
    for error in parsed.errors:
        column = _column_of_path(error.field, columns)
        if (error.line, roster.header_of(column) if column is not None else error.field) in seen:
            continue
        check.errors.append(RosterError(_checker_message(error.message), error.line,
                                        roster.header_of(column) if column is not None else error.field,
                                        roster.sheet))
    check.errors.sort(key=lambda e: (e.row or 0))
    check.records = parsed.records if not check.errors else []
    return check


def _merge(base: dict, obj: dict, present: set[str]) -> dict:
    """An update keeps what the file has no column for (history, skills' sources, the hub's own settings)."""
    merged = dict(base)
    for key in ("external_id", "name", "email", "phone", "talent_type", "roles", "skills", "bio", "fields",
                "stages_led", "work_styles", "max_travel_km", "hours_per_month", "available_from",
                "available_until", "schemes", "listed"):
        if key in present or key == "schemes":
            if key in obj:
                merged[key] = obj[key]
            elif key != "schemes":
                merged.pop(key, None)  # an empty cell: the key's default
    if "home.prefecture" in present or "home.municipality" in present:
        merged["home_lg_code"] = obj.get("home_lg_code")
    if present & {"fee.unit", "fee.amount", "fee.negotiable"}:
        fee = dict(base.get("fee") or {})
        given = obj.get("fee") or {}
        for part in ("unit", "amount", "negotiable"):
            if f"fee.{part}" in present:
                if part in given:
                    fee[part] = given[part]
                else:
                    fee.pop(part, None)
        merged["fee"] = fee if ("unit" in fee or "amount" in fee) else None
    if merged.get("skills") and isinstance(base.get("skills"), dict) and "skills" in present:
        # a level the file gives keeps the hub's verification source and ratings of that skill
        merged["skills"] = {k: ({**base["skills"][k], "level": v} if isinstance(base["skills"].get(k), dict) else v)
                            for k, v in obj.get("skills", {}).items()}
    return merged


def _existing(session: Session, external_ids: list[str]) -> dict[str, dict]:
    """The experts these ids already name: account, deletion and whose roster they came from."""
    found: dict[str, dict] = {}
    for i in range(0, len(external_ids), 1000):
        chunk = external_ids[i:i + 1000]
        rows = session.execute(
            select(ExpertProfile.external_id, ExpertProfile.id, ExpertProfile.user_id, ExpertProfile.deleted_at,
                   ExpertRosterSource.expert_id, ExpertRosterSource.organization_id)
            .outerjoin(ExpertRosterSource, ExpertRosterSource.expert_id == ExpertProfile.id)
            .where(ExpertProfile.external_id.in_(chunk)))
        for external_id, expert_id, user_id, deleted_at, source, organization_id in rows:
            found[external_id] = {"id": expert_id, "user_id": user_id, "deleted": deleted_at is not None,
                                  "from_roster": source is not None, "organization_id": organization_id}
    return found


def _may_overwrite(actor: User | None, found: dict) -> bool:
    return permissions.can_overwrite_from_roster(
        actor, has_account=found["user_id"] is not None, deleted=found["deleted"],
        from_roster=found["from_roster"], source_organization_id=found["organization_id"])


def _exported(session: Session, expert_ids: list[int]) -> dict[int, dict]:
    found = {}
    for i in range(0, len(expert_ids), 500):
        chunk = expert_ids[i:i + 500]
        for expert in session.scalars(select(ExpertProfile).where(ExpertProfile.id.in_(chunk))
                                      .options(*interchange._expert_loader())):  # noqa: SLF001
            found[expert.id] = interchange.expert_to_interchange(expert)
    return found


# -- applying ----------------------------------------------------------------------------------------------------

def apply_roster(session: Session, check: RosterCheck, actor: User | None, *, scheme: str | None = None,
                 gazetteer: Gazetteer | None = None, progress: Callable[[int], None] | None = None) -> RosterReport:
    """Write a roster that passed `check_roster`; record whose roster the new experts are; audit. Never commits."""
    if not check.ok:
        raise ValueError("apply_roster needs a roster without errors")
    gazetteer = gazetteer or load_gazetteer()
    records = check.records
    created, updated = interchange.apply_experts(session, records, gazetteer=gazetteer, progress=progress)
    new_ids = [r.external_id for r in records if r.external_id not in check.existing]
    organization_id = None if actor is None or permissions.is_admin(actor) else actor.organization_id
    sources = []
    for i in range(0, len(new_ids), 1000):
        sources += [{"expert_id": expert_id, "organization_id": organization_id} for expert_id in session.scalars(
            select(ExpertProfile.id).where(ExpertProfile.external_id.in_(new_ids[i:i + 1000])))]
    if sources:
        session.execute(ExpertRosterSource.__table__.insert(), sources)
    inferred = interchange.infer_imported_skills(session, records)
    roster = check.roster
    audit.record(session, actor, "expert.import", "expert", roster.filename or "-", file=roster.filename,
                 format=roster.format, sheet=roster.sheet, encoding=roster.encoding, scheme=scheme,
                 records=len(records), created=created, updated=updated, skills_read_from_text=inferred,
                 organization_id=organization_id)
    return RosterReport(records=len(records), created=created, updated=updated, skills_read_from_text=inferred)


def import_roster(session: Session, data: bytes, filename: str, taxonomy: Taxonomy, actor: User | None, *,
                  sheet: str | None = None, scheme: str | None = None,
                  progress: Callable[[int], None] | None = None) -> tuple[RosterCheck, RosterReport | None]:
    """Read, check and (when no row is bad) apply a roster; raise RosterRefused for a file that cannot be read."""
    gazetteer = load_gazetteer()
    roster = read_roster(data, filename, taxonomy, sheet=sheet, gazetteer=gazetteer)
    check = check_roster(session, roster, taxonomy, actor, scheme=scheme, gazetteer=gazetteer)
    if not check.ok:
        return check, None
    return check, apply_roster(session, check, actor, scheme=scheme, gazetteer=gazetteer, progress=progress)


# -- the background job ------------------------------------------------------------------------------------------

class RosterRejected(Exception):
    """The roster failed its check inside the job (it changed, or the data did since the upload)."""


def submit_import(session: Session, actor: User, data: bytes, filename: str, *, fmt: str, sheet: str | None,
                  scheme: str | None) -> Any:
    """Store the file and start a `roster.import` job for it (audited as job.submit). Never commits."""
    upload = RosterUpload(filename=filename[:200], format=fmt, sheet=(sheet or None), scheme=scheme, size=len(data),
                          data=data, created_by_id=actor.id)
    session.add(upload)
    session.flush()
    return jobs.submit(session, actor, "roster.import", {"upload_id": upload.id, "file": filename[:200]})


def _run_job(session: Session, job, progress) -> dict:
    """Read the stored file, check it again (data may have changed since the upload), apply it; all or nothing.

    Messages are rendered in the language of whoever started the job: a worker has no request to ask.
    """
    from flask import current_app
    from flask_babel import force_locale
    upload = session.get(RosterUpload, int(job.params["upload_id"]))
    if upload is None:
        raise RosterRejected("the uploaded file is gone")
    actor = session.get(User, job.created_by_id) if job.created_by_id else None
    taxonomy = current_app.extensions["hub.taxonomy"]
    data, filename, sheet, scheme, upload_id = upload.data, upload.filename, upload.sheet, upload.scheme, upload.id
    total: list[int | None] = [None]
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        progress(done[0], total[0])

    locale = getattr(actor, "locale", None) or current_app.config.get("BABEL_DEFAULT_LOCALE", "ja")
    with force_locale(locale):
        try:
            gazetteer = load_gazetteer()
            roster = read_roster(data, filename, taxonomy, sheet=sheet, gazetteer=gazetteer)
            total[0] = len(roster.rows)
            progress(0, total[0])
            check = check_roster(session, roster, taxonomy, actor, scheme=scheme, gazetteer=gazetteer)
            if not check.ok:
                shown = "\n".join(str(e) for e in check.errors[:20])
                raise RosterRejected(f"{len(check.errors)} error(s); nothing was imported.\n{shown}")
        except RosterRefused as exc:
            raise RosterRejected(str(exc.message)) from None
    report = apply_roster(session, check, actor, scheme=scheme, gazetteer=gazetteer, progress=advance)
    session.execute(delete(RosterUpload).where(RosterUpload.id == upload_id))  # with the import's commit
    progress(report.records, report.records)
    return {"file": filename, "rows": report.records, "created": report.created, "updated": report.updated}


def _discard_upload(session: Session, job) -> None:
    """A failed import keeps nothing: its stored file goes with the failure's commit."""
    session.execute(delete(RosterUpload).where(RosterUpload.id == int(job.params.get("upload_id", 0))))


jobs.register("roster.import", _run_job, _l("Roster import"), on_failure=_discard_upload)
