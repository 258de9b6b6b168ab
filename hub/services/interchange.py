"""Bulk import and export in the interchange format (DESIGN.md; docs/interchange.md).

Import is two steps so that a bad file never half-imports: `parse_experts` / `parse_needs` read and
validate every line, collecting every error with its line number and field, and touch no database;
only when no line is bad do `apply_experts` / `apply_needs` write, in the caller's transaction.
`import_experts` / `import_needs` do both. Export yields exactly the interchange objects, sorted by
external_id with a fixed key order, so export -> import into an empty database -> export is identical.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from hub import limits
from hub.gazetteer import Gazetteer, load_gazetteer
from hub.db import utcnow
from hub.models import (Engagement, EngagementField, EngagementStage, Evaluation, ExpertField, ExpertProfile,
                        ExpertRole, ExpertScheme, ExpertSkill, ExpertStage, ExpertTravelPrefecture, Need,
                        Organization, User)
from hub.models.needs import ENGAGEMENT_FORMS, NEED_STATUSES, WORK_STYLES
from hub.models.people import FEE_UNITS, SCHEMES, TALENT_TYPES
from hub.services import audit
from hub.services.experts import EngagementData, ExpertData, engagement_columns, expert_columns
from hub.services.needs import NeedData, apply_need
from hub.services.organizations import LocalGovernments
from skill_taxonomy import Taxonomy

log = logging.getLogger(__name__)

# Every limit is declared once in hub.limits (the models, forms and API read the same declarations).
TEXT_LIMITS = {"external_id": limits.EXTERNAL_ID, "name": limits.NAME, "email": limits.EMAIL, "bio": limits.BIO,
               "title": limits.TITLE, "role": limits.ROLE, "contribution": limits.CONTRIBUTION,
               "description": limits.DESCRIPTION, "phone": limits.PHONE, "outcome": limits.OUTCOME,
               "comment": limits.COMMENT, "message": limits.MESSAGE, "organization_name": limits.ORGANIZATION_NAME}
MAX_HOURS_PER_MONTH = limits.HOURS_PER_MONTH.high
MAX_TRAVEL_KM = limits.TRAVEL_KM.high
MAX_AMOUNT = limits.MONEY.high
MAX_SKILL_WEIGHT = limits.SKILL_WEIGHT.high

EXPERT_KEYS = ("external_id", "name", "email", "talent_type", "roles", "skills", "bio", "fields", "stages_led",
               "home_lg_code", "work_styles", "max_travel_km", "travel_prefectures", "hours_per_month",
               "available_from", "available_until", "fee", "schemes", "engagements")
EXPERT_REQUIRED = ("external_id", "name", "talent_type")
ENGAGEMENT_KEYS = ("org_lg_code", "title", "stages", "fields", "role", "contribution", "start", "end",
                   "hours_per_month", "status", "rating", "would_rehire")
ENGAGEMENT_REQUIRED = ("org_lg_code", "title", "start", "hours_per_month", "status")
NEED_KEYS = ("external_id", "org_lg_code", "title", "description", "stages", "talent_type", "required_skills",
             "nice_to_have_skills", "fields", "work_style", "location_lg_code", "hours_per_month", "start", "end",
             "budget", "engagement_form", "status")
NEED_REQUIRED = ("external_id", "org_lg_code", "title", "stages", "work_style", "hours_per_month", "start",
                 "engagement_form")
WORK_STYLE_KEYS = ("remote", "onsite", "resident")
FEE_KEYS = ("unit", "amount", "negotiable")
BUDGET_KEYS = ("unit", "max")
IMPORTED_ENGAGEMENT_STATUSES = ("active", "completed")

# The expert CSV header (docs/interchange.md): one column per key; work styles and fee are flattened.
CSV_COLUMNS = ("external_id", "name", "email", "talent_type", "roles", "skills", "bio", "fields", "stages_led",
               "home_lg_code", "remote", "onsite", "resident", "max_travel_km", "travel_prefectures",
               "hours_per_month", "available_from", "available_until", "fee_unit", "fee_amount", "fee_negotiable",
               "schemes", "engagements")
CSV_LIST_COLUMNS = ("roles", "fields", "stages_led", "travel_prefectures", "schemes")
CSV_BOOL_COLUMNS = ("remote", "onsite", "resident", "fee_negotiable")
CSV_INT_COLUMNS = ("max_travel_km", "hours_per_month", "fee_amount")
CSV_TRUE = {"true", "1", "yes", "y"}
CSV_FALSE = {"false", "0", "no", "n"}

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_INT_RE = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class LineError:
    """What is wrong, where: the file's line number (1-based), the field path, a message."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    """The outcome of an import: every error found, or how many records were created and updated."""

    errors: list[LineError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    records: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Parsed:
    """Validated records with the line each came from, and every error found; records are unusable on errors."""

    records: list = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- reading lines ----------------------------------------------------------------------------------------------

def _read_bytes(source: bytes | IO[bytes]) -> bytes:
    return source if isinstance(source, (bytes, bytearray)) else source.read()


def _decoded_lines(data: bytes, errors: list[LineError]) -> list[str]:
    """Split into lines and decode each as UTF-8, reporting (and replacing) the bytes that are not."""
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte-order mark, as spreadsheet programs write
        raw = raw.removesuffix(b"\r")
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            errors.append(LineError(number, "encoding", f"not valid UTF-8 (byte {exc.start + 1} of the line)"))
            lines.append(raw.decode("utf-8", errors="replace"))
    return lines


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number in JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"key {key!r} appears twice")
        obj[key] = value
    return obj


def _jsonl_objects(source: bytes | IO[bytes], errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line that is a JSON object; report the others."""
    for number, text in enumerate(_decoded_lines(_read_bytes(source), errors), start=1):
        if not text.strip():
            continue
        if errors and errors[-1].line == number and errors[-1].field == "encoding":
            continue  # already reported; its replaced characters would only add noise
        try:
            obj = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, "json", f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except ValueError as exc:
            errors.append(LineError(number, "json", str(exc)))
            continue
        if not isinstance(obj, dict):
            errors.append(LineError(number, "json", f"expected an object, got {_type_name(obj)}"))
            continue
        yield number, obj


# -- checking values --------------------------------------------------------------------------------------------

def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Checker:
    """Validate the objects of one line, appending every problem to `errors` with the line number."""

    def __init__(self, taxonomy: Taxonomy, gazetteer: Gazetteer, line: int, errors: list[LineError]):
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.line = line
        self.errors = errors
        self._start = len(errors)

    @property
    def failed(self) -> bool:
        return len(self.errors) > self._start

    def error(self, path: str, message: str) -> None:
        self.errors.append(LineError(self.line, path, message))

    def keys(self, obj: dict, allowed: tuple[str, ...], required: tuple[str, ...], prefix: str = "") -> None:
        for key in obj:
            if key not in allowed:
                self.error(f"{prefix}{key}", "unknown key")
        for key in required:
            if key not in obj:
                self.error(f"{prefix}{key}", "required key is missing")

    def text(self, value: object, path: str, limit_key: str, *, required: bool = False,
             nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.error(path, f"must be a string, not {_type_name(value)}")
            return None
        if required and not value.strip():
            self.error(path, "must not be empty")
            return None
        if "\x00" in value:  # no database text column can hold it (PostgreSQL refuses it outright)
            self.error(path, "contains a NUL character")
            return None
        limit = TEXT_LIMITS[limit_key]
        if len(value) > limit:
            self.error(path, f"is {len(value)} characters long; the limit is {limit}")
            return None
        return value

    def integer(self, value: object, path: str, low: int, high: int, *, nullable: bool = False) -> int | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(path, f"must be a whole number, not {_type_name(value)}")
            return None
        if isinstance(value, float):
            if not value.is_integer():
                self.error(path, f"must be a whole number, not {value}")
                return None
            value = int(value)
        if not low <= value <= high:
            self.error(path, f"{value} is out of range {low}–{high}")
            return None
        return value

    def number(self, value: object, path: str, low: float, high: float, *, low_open: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.error(path, f"must be a number, not {_type_name(value)}")
            return None
        if value > high or value < low or (low_open and value == low):
            self.error(path, f"{value} is out of range {'(' if low_open else ''}{low:g}–{high:g}")
            return None
        return value

    def boolean(self, value: object, path: str, *, nullable: bool = False) -> bool | None:
        if value is None and nullable:
            return None
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, not {_type_name(value)}")
            return None
        return value

    def choice(self, value: object, path: str, choices: Iterable[str], what: str, *,
               nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.error(path, f"must be a string, not {_type_name(value)}")
            return None
        if value not in choices:
            self.error(path, f"unknown {what} {value!r}")
            return None
        return value

    def id_list(self, value: object, path: str, choices: Iterable[str], what: str, *,
                non_empty: bool = False) -> list[str]:
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {_type_name(value)}")
            return []
        if non_empty and not value:
            self.error(path, "must list at least one")
        choices = choices if isinstance(choices, (set, frozenset, dict)) else set(choices)
        found = [self.choice(item, f"{path}[{i}]", choices, what) for i, item in enumerate(value)]
        return list(dict.fromkeys(item for item in found if item is not None))

    def lg_code(self, value: object, path: str, *, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            hint = " (quote codes: a number loses leading zeros)" if isinstance(value, int) else ""
            self.error(path, f"must be a string, not {_type_name(value)}{hint}")
            return None
        if value not in self.gazetteer:
            hint = " (six digits; was a leading zero lost?)" if value.isdigit() and len(value) < 6 else ""
            self.error(path, f"unknown local-government code {value!r}{hint}")
            return None
        return value

    def day(self, value: object, path: str, *, nullable: bool = False) -> date | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.error(path, f"must be a date string YYYY-MM-DD, not {_type_name(value)}")
            return None
        try:
            if not _DATE_RE.fullmatch(value):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a date YYYY-MM-DD")
            return None
        if day not in limits.DATES:
            self.error(path, f"{value} is out of range {limits.DATES.low}–{limits.DATES.high}")
            return None
        return day

    def mapping(self, value: object, path: str, *, nullable: bool = False) -> dict | None:
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            self.error(path, f"must be an object, not {_type_name(value)}")
            return None
        return value

    def period(self, start: date | None, end: date | None, path: str, start_name: str) -> None:
        if start is not None and end is not None and end < start:
            self.error(path, f"{end.isoformat()} is before {start_name} {start.isoformat()}")

    def skill_levels(self, value: object, path: str, low: int) -> dict[str, int]:
        if (value := self.mapping(value, path)) is None:
            return {}
        levels = {}
        for skill_id, level in value.items():
            if skill_id not in self.taxonomy.items:
                self.error(f"{path}.{skill_id}", "unknown skill id")
            elif (level := self.integer(level, f"{path}.{skill_id}", low, limits.SKILL_LEVEL.high)) is not None:
                levels[skill_id] = level
        return levels


# -- experts ----------------------------------------------------------------------------------------------------

def _check_expert(c: _Checker, obj: dict) -> ExpertData | None:
    c.keys(obj, EXPERT_KEYS, EXPERT_REQUIRED)
    t = c.taxonomy
    external_id = c.text(obj.get("external_id"), "external_id", "external_id", required=True) \
        if "external_id" in obj else None
    name = c.text(obj["name"], "name", "name", required=True) if "name" in obj else None
    talent_type = c.choice(obj["talent_type"], "talent_type", TALENT_TYPES, "talent type") \
        if "talent_type" in obj else None
    email = c.text(obj.get("email"), "email", "email", nullable=True)
    if email is not None and not _EMAIL_RE.fullmatch(email):
        c.error("email", f"{email!r} is not an email address")
    data = ExpertData(external_id=external_id or "", name=name or "", talent_type=talent_type or "", email=email)
    data.roles = c.id_list(obj.get("roles", []), "roles", t.roles, "role id")
    data.skills = c.skill_levels(obj.get("skills", {}), "skills", limits.SKILL_LEVEL.low)
    data.bio = c.text(obj.get("bio", ""), "bio", "bio") or ""
    data.fields = c.id_list(obj.get("fields", []), "fields", t.fields, "field id")
    data.stages_led = c.id_list(obj.get("stages_led", []), "stages_led", t.stages, "stage id")
    data.home_lg_code = c.lg_code(obj.get("home_lg_code"), "home_lg_code", nullable=True)
    if "work_styles" in obj and (styles := c.mapping(obj["work_styles"], "work_styles")) is not None:
        c.keys(styles, WORK_STYLE_KEYS, (), "work_styles.")
        defaults = {"remote": data.remote, "onsite": data.onsite, "resident": data.resident}
        for key in WORK_STYLE_KEYS:
            value = c.boolean(styles.get(key, defaults[key]), f"work_styles.{key}")
            setattr(data, key, defaults[key] if value is None else value)
    data.max_travel_km = c.integer(obj.get("max_travel_km"), "max_travel_km", 0, MAX_TRAVEL_KM, nullable=True)
    prefectures = {p.prefecture_code for p in c.gazetteer.prefectures()}
    data.travel_prefectures = c.id_list(obj.get("travel_prefectures", []), "travel_prefectures", prefectures,
                                        "prefecture code")
    data.hours_per_month = c.integer(obj.get("hours_per_month", 0), "hours_per_month", 0,
                                     MAX_HOURS_PER_MONTH) or 0
    data.available_from = c.day(obj.get("available_from"), "available_from", nullable=True)
    data.available_until = c.day(obj.get("available_until"), "available_until", nullable=True)
    c.period(data.available_from, data.available_until, "available_until", "available_from")
    if (fee := c.mapping(obj.get("fee"), "fee", nullable=True)) is not None:
        c.keys(fee, FEE_KEYS, ("unit", "amount"), "fee.")
        data.fee_unit = c.choice(fee.get("unit"), "fee.unit", FEE_UNITS, "fee unit") if "unit" in fee else None
        data.fee_amount = c.integer(fee["amount"], "fee.amount", 0, MAX_AMOUNT) if "amount" in fee else None
        negotiable = c.boolean(fee.get("negotiable", True), "fee.negotiable")
        data.fee_negotiable = True if negotiable is None else negotiable
    data.schemes = c.id_list(obj.get("schemes", []), "schemes", SCHEMES, "scheme")
    engagements = obj.get("engagements", [])
    if not isinstance(engagements, list):
        c.error("engagements", f"must be a list, not {_type_name(engagements)}")
    else:
        data.engagements = [e for i, item in enumerate(engagements)
                            if (e := _check_engagement(c, item, f"engagements[{i}]")) is not None]
    return None if c.failed else data


def _check_engagement(c: _Checker, obj: object, path: str) -> EngagementData | None:
    if (obj := c.mapping(obj, path)) is None:
        return None
    c.keys(obj, ENGAGEMENT_KEYS, ENGAGEMENT_REQUIRED, f"{path}.")
    t = c.taxonomy
    org = c.lg_code(obj["org_lg_code"], f"{path}.org_lg_code") if "org_lg_code" in obj else None
    title = c.text(obj["title"], f"{path}.title", "title", required=True) if "title" in obj else None
    start = c.day(obj["start"], f"{path}.start") if "start" in obj else None
    end = c.day(obj.get("end"), f"{path}.end", nullable=True)
    c.period(start, end, f"{path}.end", "start")
    hours = c.integer(obj["hours_per_month"], f"{path}.hours_per_month", 0, MAX_HOURS_PER_MONTH) \
        if "hours_per_month" in obj else None
    status = c.choice(obj["status"], f"{path}.status", IMPORTED_ENGAGEMENT_STATUSES, "engagement status") \
        if "status" in obj else None
    rating = obj.get("rating")
    if rating is not None:
        rating = c.number(rating, f"{path}.rating", limits.RATING.low, limits.RATING.high)
    would_rehire = c.boolean(obj.get("would_rehire"), f"{path}.would_rehire", nullable=True)
    if status == "completed" and obj.get("end") is None:
        c.error(f"{path}.end", "a completed engagement needs an end date")
    if status == "active" and obj.get("rating") is not None:
        c.error(f"{path}.rating", "an active engagement cannot be rated yet")
    if status == "active" and obj.get("would_rehire") is not None:
        c.error(f"{path}.would_rehire", "an active engagement cannot be judged yet")
    elif obj.get("would_rehire") is not None and obj.get("rating") is None:
        c.error(f"{path}.would_rehire", "would_rehire needs a rating")
    item = EngagementData(
        org_lg_code=org or "", title=title or "", start=start or date.min, hours_per_month=hours or 0,
        status=status or "", stages=c.id_list(obj.get("stages", []), f"{path}.stages", t.stages, "stage id"),
        fields=c.id_list(obj.get("fields", []), f"{path}.fields", t.fields, "field id"),
        role=c.text(obj.get("role", ""), f"{path}.role", "role") or "",
        contribution=c.text(obj.get("contribution", ""), f"{path}.contribution", "contribution") or "",
        end=end, rating=rating, would_rehire=would_rehire)
    return item


def _csv_value(column: str, cell: str, errors: list[LineError], line: int) -> Any:
    """Turn one CSV cell into the JSON value of its key; leave text the checker will reject as text."""
    if column in CSV_LIST_COLUMNS:
        return [part.strip() for part in cell.split("|") if part.strip()]
    if column in CSV_BOOL_COLUMNS:
        lowered = cell.strip().lower()
        return True if lowered in CSV_TRUE else False if lowered in CSV_FALSE else cell
    if column in CSV_INT_COLUMNS:
        return int(cell) if _INT_RE.fullmatch(cell.strip()) else cell
    if column == "skills":
        skills: dict[str, Any] = {}
        for part in (p.strip() for p in cell.split("|")):
            if not part:
                continue
            skill_id, sep, level = part.partition(":")
            if not sep:
                errors.append(LineError(line, f"skills.{skill_id}", "expected item:level"))
                continue
            level = level.strip()
            skills[skill_id.strip()] = int(level) if _INT_RE.fullmatch(level) else level
        return skills
    if column == "engagements":
        try:
            return json.loads(cell, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
        except ValueError as exc:
            errors.append(LineError(line, "engagements", f"not a valid JSON list: {exc}"))
            return []
    return cell


def _csv_objects(source: bytes | IO[bytes], errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    """Yield (line number, interchange object) for each CSV record; a record spanning lines gets its first."""
    text = "\n".join(_decoded_lines(_read_bytes(source), errors))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    header_ok = True
    for column in header:
        if column not in CSV_COLUMNS:
            errors.append(LineError(1, column or "(empty column)", "unknown column"))
            header_ok = False
    for column in {h for h in header if header.count(h) > 1}:
        errors.append(LineError(1, column, "column appears twice"))
        header_ok = False
    for column in EXPERT_REQUIRED:
        if column not in header:
            errors.append(LineError(1, column, "required column is missing"))
            header_ok = False
    if not header_ok:
        return
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(LineError(start, "(row)", f"has {len(row)} cells; the header has {len(header)}"))
            continue
        obj: dict[str, Any] = {}
        fee: dict[str, Any] = {}
        styles: dict[str, Any] = {}
        for column, cell in zip(header, row):
            if cell == "":
                continue  # empty: the key's default (null for nullable keys)
            value = _csv_value(column, cell, errors, start)
            if column in WORK_STYLE_KEYS:
                styles[column] = value
            elif column.startswith("fee_"):
                fee[column.removeprefix("fee_")] = value
            else:
                obj[column] = value
        if styles:
            obj["work_styles"] = styles
        if "unit" in fee or "amount" in fee:
            obj["fee"] = fee
        yield start, obj


def parse_experts(source: bytes | IO[bytes], taxonomy: Taxonomy, *, format: str = "jsonl",
                  gazetteer: Gazetteer | None = None) -> Parsed:
    """Read and validate every expert of a JSONL or CSV file; report every error; write nothing."""
    if format not in ("jsonl", "csv"):
        raise ValueError(f"format must be jsonl or csv, got {format!r}")
    return _parse(source, _jsonl_objects if format == "jsonl" else _csv_objects, _check_expert, taxonomy,
                  gazetteer or load_gazetteer())


def _parse(source: bytes | IO[bytes], objects, check, taxonomy: Taxonomy, gazetteer: Gazetteer) -> Parsed:
    """Validate every object of a file with `check`; an external_id seen twice is an error on the later line."""
    parsed = Parsed()
    first_line: dict[str, int] = {}
    for line, obj in objects(source, parsed.errors):
        data = check(_Checker(taxonomy, gazetteer, line, parsed.errors), obj)
        external_id = obj.get("external_id")
        if isinstance(external_id, str) and external_id:
            if external_id in first_line:
                parsed.errors.append(LineError(line, "external_id",
                                               f"{external_id!r} already on line {first_line[external_id]}"))
                continue
            first_line[external_id] = line
        if data is not None:
            parsed.records.append(data)
            parsed.lines.append(line)
    parsed.errors.sort(key=lambda e: e.line)
    return parsed


def _expert_loader():
    return (selectinload(ExpertProfile.skills), selectinload(ExpertProfile.roles),
            selectinload(ExpertProfile.fields), selectinload(ExpertProfile.stages_led),
            selectinload(ExpertProfile.schemes), selectinload(ExpertProfile.travel_prefectures),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.organization),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.stages),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.fields),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.evaluation))


def _existing(session: Session, model, external_ids: list[str], options) -> dict[str, Any]:
    """Load the rows these external ids already have, with their collections, in chunked IN queries."""
    found = {}
    for i in range(0, len(external_ids), 1000):
        chunk = external_ids[i:i + 1000]
        for row in session.scalars(select(model).where(model.external_id.in_(chunk)).options(*options)):
            found[row.external_id] = row
    return found


def apply_experts(session: Session, records: list[ExpertData], *, gazetteer: Gazetteer | None = None,
                  progress: Callable[[int], None] | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Create or update the experts of validated records, set-based; return (created, updated).

    Writes what `apply_expert` writes (the same column mapping; skills keep their verification
    source; imported engagements are replaced, need and dispatch engagements kept and not copied),
    but with a few multi-row statements per batch of `batch_size` experts instead of one ORM object
    per row: at 10,000 experts the unit of work, not the database, was the bottleneck (69 s against
    about 7 s on SQLite). Objects already in the session are expired afterwards: rows changed under them.
    """
    gazetteer = gazetteer or load_gazetteer()
    session.flush()
    ids = _existing_ids(session, [r.external_id for r in records])
    organizations = LocalGovernments(session, gazetteer)
    codes = sorted({e.org_lg_code for r in records for e in (r.engagements or ())})
    organizations.preload(codes)
    orgs = [organizations.get(code) for code in codes]
    session.flush()
    org_ids = {org.lg_code: org.id for org in orgs}
    connection = session.connection()
    created = updated = 0
    for i in range(0, len(records), batch_size):
        batch = records[i:i + batch_size]
        new, old = _write_expert_batch(connection, batch, ids, org_ids, gazetteer)
        created, updated = created + new, updated + old
        if progress:
            progress(len(batch))
    session.expire_all()
    return created, updated


def _existing_ids(session: Session, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(external_ids), 1000):
        chunk = external_ids[i:i + 1000]
        found.update((row[0], row[1]) for row in session.execute(
            select(ExpertProfile.external_id, ExpertProfile.id).where(ExpertProfile.external_id.in_(chunk))))
    return found


def _insert(connection: Connection, model, rows: list[dict]) -> None:
    if rows:
        connection.execute(insert(model.__table__), rows)


def _write_expert_batch(connection: Connection, batch: list[ExpertData], ids: dict[str, int],
                        org_ids: dict[str, int], gazetteer: Gazetteer) -> tuple[int, int]:
    """Write one batch with Core statements: profiles first (for their ids), then one executemany per table."""
    profiles = ExpertProfile.__table__
    new = [r for r in batch if r.external_id not in ids]
    old = [r for r in batch if r.external_id in ids]
    old_ids = [ids[r.external_id] for r in old]
    kept_skills: dict[tuple[int, str], tuple] = {}
    kept_engagements: set[tuple] = set()
    if old:
        connection.execute(
            update(profiles).where(profiles.c.id == bindparam("_id")),
            [expert_columns(r, gazetteer) | {"_id": ids[r.external_id], "updated_at": utcnow()} for r in old])
        skills_t = ExpertSkill.__table__
        for row in connection.execute(select(skills_t.c.expert_id, skills_t.c.skill_id, skills_t.c.source,
                                             skills_t.c.rating_mean, skills_t.c.rating_count)
                                      .where(skills_t.c.expert_id.in_(old_ids))):
            kept_skills[(row[0], row[1])] = tuple(row[2:])
        kept_engagements = {tuple(row) for row in connection.execute(
            select(Engagement.expert_id, Organization.lg_code, Engagement.start_date, Engagement.title)
            .join(Organization, Engagement.organization_id == Organization.id)
            .where(Engagement.expert_id.in_(old_ids), Engagement.source != "import"))}
        for model in (ExpertSkill, ExpertRole, ExpertField, ExpertStage, ExpertScheme, ExpertTravelPrefecture):
            table = model.__table__
            connection.execute(delete(table).where(table.c.expert_id.in_(old_ids)))
        imported = select(Engagement.id).where(Engagement.expert_id.in_(old_ids), Engagement.source == "import")
        for model in (EngagementStage, EngagementField, Evaluation):
            table = model.__table__
            connection.execute(delete(table).where(table.c.engagement_id.in_(imported)))
        connection.execute(delete(Engagement.__table__).where(Engagement.__table__.c.id.in_(imported)))
    if new:
        now = utcnow()
        new_ids = connection.execute(
            insert(profiles).returning(profiles.c.id, sort_by_parameter_order=True),
            [expert_columns(r, gazetteer) | {"external_id": r.external_id, "created_at": now, "updated_at": now}
             for r in new]).scalars().all()
        ids.update(zip((r.external_id for r in new), new_ids))

    skills, roles, fields, stages, schemes, prefectures, engagements = [], [], [], [], [], [], []
    for r in batch:
        expert_id = ids[r.external_id]
        for skill_id, level in r.skills.items():
            source, mean, count = kept_skills.get((expert_id, skill_id), ("self", None, 0))
            skills.append({"expert_id": expert_id, "skill_id": skill_id, "level": level, "source": source,
                           "rating_mean": mean, "rating_count": count})
        roles += [{"expert_id": expert_id, "role_id": v} for v in dict.fromkeys(r.roles)]
        fields += [{"expert_id": expert_id, "field_id": v} for v in dict.fromkeys(r.fields)]
        stages += [{"expert_id": expert_id, "stage_id": v} for v in dict.fromkeys(r.stages_led)]
        schemes += [{"expert_id": expert_id, "scheme": v} for v in dict.fromkeys(r.schemes)]
        prefectures += [{"expert_id": expert_id, "prefecture_code": v} for v in dict.fromkeys(r.travel_prefectures)]
        engagements += [(expert_id, item) for item in r.engagements or ()
                        if (expert_id, item.org_lg_code, item.start, item.title) not in kept_engagements]
    for model, rows in ((ExpertSkill, skills), (ExpertRole, roles), (ExpertField, fields), (ExpertStage, stages),
                        (ExpertScheme, schemes), (ExpertTravelPrefecture, prefectures)):
        _insert(connection, model, rows)
    _insert_engagements(connection, engagements, org_ids)
    return len(new), len(old)


def _insert_engagements(connection: Connection, engagements: list[tuple[int, EngagementData]],
                        org_ids: dict[str, int]) -> None:
    """Insert engagements (ids back in parameter order, batched) and their stages, fields and evaluations."""
    if not engagements:
        return
    table = Engagement.__table__
    now = utcnow()
    engagement_ids = connection.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [engagement_columns(item) | {"expert_id": expert_id, "organization_id": org_ids[item.org_lg_code],
                                    "outcome": None, "created_at": now}
         for expert_id, item in engagements]).scalars().all()
    pairs = list(zip(engagement_ids, (item for _, item in engagements)))
    _insert(connection, EngagementStage, [{"engagement_id": e, "stage_id": s}
                                          for e, item in pairs for s in dict.fromkeys(item.stages)])
    _insert(connection, EngagementField, [{"engagement_id": e, "field_id": f}
                                          for e, item in pairs for f in dict.fromkeys(item.fields)])
    _insert(connection, Evaluation, [{"engagement_id": e, "overall": item.rating, "would_rehire": item.would_rehire,
                                      "comment": "", "created_at": now}
                                     for e, item in pairs if item.rating is not None])


def import_experts(session: Session, source: bytes | IO[bytes], taxonomy: Taxonomy, *, format: str = "jsonl",
                   user: User | None = None, filename: str = "", gazetteer: Gazetteer | None = None,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate a whole file, then apply it when no line is bad; audit one event per file. Never commits."""
    parsed = parse_experts(source, taxonomy, format=format, gazetteer=gazetteer)
    if not parsed.ok:
        return ImportReport(errors=parsed.errors, records=len(parsed.records))
    created, updated = apply_experts(session, parsed.records, gazetteer=gazetteer, progress=progress)
    audit.record(session, user, "expert.import", "expert", filename or "-", file=filename, format=format,
                 records=len(parsed.records), created=created, updated=updated)
    return ImportReport(created=created, updated=updated, records=len(parsed.records))


# -- needs ------------------------------------------------------------------------------------------------------

def _check_need_skills(c: _Checker, value: object, path: str, weights: dict[str, float]) -> dict[str, int]:
    """Skill requirements: item -> minimum level 1-4, or item -> {"level": 1-4, "weight": (0, 10]}."""
    if (value := c.mapping(value, path)) is None:
        return {}
    levels = {}
    for skill_id, spec in value.items():
        where = f"{path}.{skill_id}"
        if skill_id not in c.taxonomy.items:
            c.error(where, "unknown skill id")
            continue
        if isinstance(spec, dict):
            c.keys(spec, ("level", "weight"), ("level",), f"{where}.")
            if "weight" in spec and (weight := c.number(spec["weight"], f"{where}.weight", 0, MAX_SKILL_WEIGHT,
                                                        low_open=True)) is not None:
                weights[skill_id] = float(weight)
            if "level" not in spec:
                continue
            spec, where = spec["level"], f"{where}.level"
        if (level := c.integer(spec, where, limits.REQUIRED_LEVEL.low, limits.REQUIRED_LEVEL.high)) is not None:
            levels[skill_id] = level
    return levels


def _check_need(c: _Checker, obj: dict) -> NeedData | None:
    c.keys(obj, NEED_KEYS, NEED_REQUIRED)
    t = c.taxonomy
    get = obj.get
    data = NeedData(
        external_id=(c.text(obj["external_id"], "external_id", "external_id", required=True)
                     if "external_id" in obj else None) or "",
        title=(c.text(obj["title"], "title", "title", required=True) if "title" in obj else None) or "",
        stages=c.id_list(obj["stages"], "stages", t.stages, "stage id", non_empty=True) if "stages" in obj else [],
        work_style=(c.choice(obj["work_style"], "work_style", WORK_STYLES, "work style")
                    if "work_style" in obj else None) or "",
        hours_per_month=(c.integer(obj["hours_per_month"], "hours_per_month", 0, MAX_HOURS_PER_MONTH)
                         if "hours_per_month" in obj else None) or 0,
        start=(c.day(obj["start"], "start") if "start" in obj else None) or date.min,
        engagement_form=(c.choice(obj["engagement_form"], "engagement_form", ENGAGEMENT_FORMS, "engagement form")
                         if "engagement_form" in obj else None) or "",
        org_lg_code=c.lg_code(obj["org_lg_code"], "org_lg_code") if "org_lg_code" in obj else None,
        description=c.text(get("description", ""), "description", "description") or "",
        talent_type=c.choice(get("talent_type"), "talent_type", TALENT_TYPES, "talent type", nullable=True),
        fields=c.id_list(get("fields", []), "fields", t.fields, "field id"),
        location_lg_code=c.lg_code(get("location_lg_code"), "location_lg_code", nullable=True),
        end=c.day(get("end"), "end", nullable=True),
        status=c.choice(get("status", "open"), "status", NEED_STATUSES, "need status") or "open",
    )
    if "start" in obj:
        c.period(data.start, data.end, "end", "start")
    data.required_skills = _check_need_skills(c, get("required_skills", {}), "required_skills", data.skill_weights)
    data.nice_to_have_skills = _check_need_skills(c, get("nice_to_have_skills", {}), "nice_to_have_skills",
                                                  data.skill_weights)
    for skill_id in data.required_skills.keys() & data.nice_to_have_skills.keys():
        c.error(f"nice_to_have_skills.{skill_id}", "is a required skill already")
    if (budget := c.mapping(get("budget"), "budget", nullable=True)) is not None:
        c.keys(budget, BUDGET_KEYS, BUDGET_KEYS, "budget.")
        if "unit" in budget:
            data.budget_unit = c.choice(budget["unit"], "budget.unit", FEE_UNITS, "budget unit")
        if "max" in budget:
            data.budget_max = c.integer(budget["max"], "budget.max", 0, MAX_AMOUNT)
    return None if c.failed else data


def parse_needs(source: bytes | IO[bytes], taxonomy: Taxonomy, *, gazetteer: Gazetteer | None = None) -> Parsed:
    """Read and validate every need of a JSONL file; report every error; write nothing."""
    return _parse(source, _jsonl_objects, _check_need, taxonomy, gazetteer or load_gazetteer())


def apply_needs(session: Session, records: list[NeedData], *, gazetteer: Gazetteer | None = None,
                progress: Callable[[int], None] | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Create or update the needs of validated records; flush in batches; return (created, updated)."""
    gazetteer = gazetteer or load_gazetteer()
    existing = _existing(session, Need, [r.external_id for r in records],
                         (selectinload(Need.stages), selectinload(Need.skills), selectinload(Need.fields),
                          selectinload(Need.organization)))
    organizations = LocalGovernments(session, gazetteer)
    organizations.preload(r.org_lg_code for r in records if r.org_lg_code)
    created = updated = 0
    with session.no_autoflush:
        for i, data in enumerate(records, start=1):
            need = existing.get(data.external_id)
            apply_need(session, need, data, organizations.get(data.org_lg_code))
            created, updated = (created + 1, updated) if need is None else (created, updated + 1)
            if i % batch_size == 0:
                session.flush()
                if progress:
                    progress(batch_size)
    session.flush()
    if progress and len(records) % batch_size:
        progress(len(records) % batch_size)
    return created, updated


def import_needs(session: Session, source: bytes | IO[bytes], taxonomy: Taxonomy, *, user: User | None = None,
                 filename: str = "", gazetteer: Gazetteer | None = None,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate a whole needs file, then apply it when no line is bad; audit one event per file. Never commits."""
    parsed = parse_needs(source, taxonomy, gazetteer=gazetteer)
    if not parsed.ok:
        return ImportReport(errors=parsed.errors, records=len(parsed.records))
    created, updated = apply_needs(session, parsed.records, gazetteer=gazetteer, progress=progress)
    audit.record(session, user, "need.import", "need", filename or "-", file=filename, format="jsonl",
                 records=len(parsed.records), created=created, updated=updated)
    return ImportReport(created=created, updated=updated, records=len(parsed.records))


# -- export -----------------------------------------------------------------------------------------------------

def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: float | None) -> int | float | None:
    """Write 4.0 as 4, so that a rating typed as an integer comes back as one."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def expert_to_interchange(expert: ExpertProfile) -> dict:
    """Return the interchange object of one expert (its exportable engagements included)."""
    engagements = [e for e in expert.engagements
                   if e.status in IMPORTED_ENGAGEMENT_STATUSES and e.organization.lg_code is not None]
    engagements.sort(key=lambda e: (e.start_date, e.organization.lg_code, e.title, e.id or 0))
    return {
        "external_id": expert.external_id,
        "name": expert.name,
        "email": expert.email,
        "talent_type": expert.talent_type,
        "roles": sorted(expert.role_ids),
        "skills": {s.skill_id: s.level for s in sorted(expert.skills, key=lambda s: s.skill_id)},
        "bio": expert.bio or "",
        "fields": sorted(expert.field_ids),
        "stages_led": sorted(expert.stage_ids),
        "home_lg_code": expert.home_lg_code,
        "work_styles": {"remote": expert.remote, "onsite": expert.onsite, "resident": expert.resident},
        "max_travel_km": expert.max_travel_km,
        "travel_prefectures": sorted(p.prefecture_code for p in expert.travel_prefectures),
        "hours_per_month": expert.hours_per_month,
        "available_from": _iso(expert.available_from),
        "available_until": _iso(expert.available_until),
        "fee": (None if expert.fee_unit is None else
                {"unit": expert.fee_unit, "amount": expert.fee_amount, "negotiable": expert.fee_negotiable}),
        "schemes": sorted(expert.scheme_ids),
        "engagements": [_engagement_to_interchange(e) for e in engagements],
    }


def _engagement_to_interchange(engagement: Engagement) -> dict:
    evaluation: Evaluation | None = engagement.evaluation
    return {
        "org_lg_code": engagement.organization.lg_code,
        "title": engagement.title,
        "stages": sorted(engagement.stage_ids),
        "fields": sorted(engagement.field_ids),
        "role": engagement.role or "",
        "contribution": engagement.contribution or "",
        "start": _iso(engagement.start_date),
        "end": _iso(engagement.end_date),
        "hours_per_month": engagement.hours_per_month,
        "status": engagement.status,
        "rating": _number(evaluation.overall) if evaluation is not None else None,
        "would_rehire": evaluation.would_rehire if evaluation is not None else None,
    }


def export_experts(session: Session, *, batch_size: int = 1000) -> Iterator[dict]:
    """Yield every expert as an interchange object, sorted by external_id.

    Proposed and cancelled engagements, and those with organizations that have no lg_code,
    have no place in the format and are left out.
    """
    query = (select(ExpertProfile).order_by(ExpertProfile.external_id).options(*_expert_loader())
             .execution_options(yield_per=batch_size))
    for expert in session.scalars(query):
        yield expert_to_interchange(expert)


def need_to_interchange(need: Need) -> dict:
    """Return the interchange object of one need."""
    skills = sorted(need.skills, key=lambda s: s.skill_id)

    def spec(s) -> int | dict:
        return s.min_level if s.weight == 1.0 else {"level": s.min_level, "weight": _number(s.weight)}

    return {
        "external_id": need.external_id,
        "org_lg_code": need.organization.lg_code,
        "title": need.title,
        "description": need.description or "",
        "stages": sorted(need.stage_ids),
        "talent_type": need.talent_type,
        "required_skills": {s.skill_id: spec(s) for s in skills if s.must},
        "nice_to_have_skills": {s.skill_id: spec(s) for s in skills if not s.must},
        "fields": sorted(need.field_ids),
        "work_style": need.work_style,
        "location_lg_code": need.location_lg_code,
        "hours_per_month": need.hours_per_month,
        "start": _iso(need.start_date),
        "end": _iso(need.end_date),
        "budget": None if need.budget_unit is None else {"unit": need.budget_unit, "max": need.budget_max},
        "engagement_form": need.engagement_form,
        "status": need.status,
    }


def export_needs(session: Session, *, batch_size: int = 1000) -> Iterator[dict]:
    """Yield every need of a local government as an interchange object, sorted by external_id.

    Needs of organizations without an lg_code (NPOs, businesses …) cannot be named in the format
    and are skipped with a warning in the log.
    """
    query = (select(Need).order_by(Need.external_id)
             .options(selectinload(Need.stages), selectinload(Need.skills), selectinload(Need.fields),
                      selectinload(Need.organization))
             .execution_options(yield_per=batch_size))
    skipped = 0
    for need in session.scalars(query):
        if need.organization.lg_code is None:
            skipped += 1
            continue
        yield need_to_interchange(need)
    if skipped:
        log.warning("%d need(s) of organizations without an lg_code were not exported", skipped)


def write_jsonl(objects: Iterable[dict], stream: IO[str]) -> int:
    """Write one compact-but-readable JSON object per line (UTF-8 text, not escaped); return the count."""
    count = 0
    for obj in objects:
        stream.write(json.dumps(obj, ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count
