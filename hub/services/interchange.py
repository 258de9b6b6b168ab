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
from datetime import date, datetime, timezone
from typing import IO, Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from hub import limits
from hub.gazetteer import Gazetteer, load_gazetteer
from hub.db import utcnow
from hub.models import (Engagement, EngagementField, EngagementStage, Evaluation, EvaluationSkill, ExpertField,
                        ExpertProfile, ExpertRole, ExpertScheme, ExpertSkill, ExpertStage, ExpertTravelPrefecture, Need,
                        Organization, User)
from hub.models.engagements import ENGAGEMENT_STATUSES
from hub.models.needs import NeedShare
from hub.models.needs import ENGAGEMENT_FORMS, NEED_STATUSES, WORK_STYLES
from hub.models.organizations import ORGANIZATION_KINDS
from hub.models.people import EXPERT_STATUSES, FEE_UNITS, SCHEMES, SKILL_SOURCES, TALENT_TYPES, VISIBILITIES
from hub.services import audit
from hub.services.experts import (EngagementData, ExpertData, OrganizationData, engagement_columns,
                                  expert_columns)
from hub.services.needs import NeedData, ShareData, apply_need, team_and_share_problems
from hub.services.organizations import LocalGovernments
from skill_taxonomy import Taxonomy

log = logging.getLogger(__name__)

# Every limit is declared once in hub.limits (the models, forms and API read the same declarations).
TEXT_LIMITS = {"external_id": limits.EXTERNAL_ID, "name": limits.NAME, "email": limits.EMAIL, "bio": limits.BIO,
               "title": limits.TITLE, "role": limits.ROLE, "contribution": limits.CONTRIBUTION,
               "description": limits.DESCRIPTION, "phone": limits.PHONE, "outcome": limits.OUTCOME,
               "comment": limits.COMMENT, "message": limits.MESSAGE, "organization_name": limits.ORGANIZATION_NAME,
               "org_key": limits.ORGANIZATION_CODE, "org_name": limits.ORGANIZATION_NAME}
MAX_HOURS_PER_MONTH = limits.HOURS_PER_MONTH.high
MAX_TRAVEL_KM = limits.TRAVEL_KM.high
MAX_AMOUNT = limits.MONEY.high
MAX_SKILL_WEIGHT = limits.SKILL_WEIGHT.high

EXPERT_KEYS = ("external_id", "name", "email", "phone", "talent_type", "roles", "skills", "bio", "fields",
               "stages_led", "home_lg_code", "work_styles", "max_travel_km", "travel_prefectures", "hours_per_month",
               "available_from", "available_until", "fee", "schemes", "status", "listed", "visibility",
               "notify_opt_in", "availability_confirmed_at", "listing_consented_at", "engagements")
EXPERT_REQUIRED = ("external_id", "name", "talent_type")
# Profile columns the hub manages: a line without one keeps the hub's value (a new expert gets the default).
EXPERT_STATE_DEFAULTS = {"phone": None, "status": "active", "listed": True, "visibility": "staff",
                         "notify_opt_in": True, "availability_confirmed_at": None}
ENGAGEMENT_KEYS = ("org_lg_code", "org", "title", "stages", "fields", "role", "contribution", "outcome", "start",
                   "end", "hours_per_month", "status", "rating", "would_rehire", "comment", "skill_ratings")
ENGAGEMENT_REQUIRED = ("title", "start", "hours_per_month", "status")
ORG_KEYS = ("key", "kind", "name", "prefecture_code")
OTHER_ORGANIZATION_KINDS = tuple(k for k in ORGANIZATION_KINDS if k not in ("municipality", "prefecture"))
SKILL_KEYS = ("level", "source", "rating_mean", "rating_count")
NEED_KEYS = ("external_id", "org_lg_code", "title", "description", "stages", "talent_type", "required_skills",
             "nice_to_have_skills", "fields", "work_style", "location_lg_code", "hours_per_month", "start", "end",
             "budget", "engagement_form", "status", "team_roles", "co_organizations")
SHARE_KEYS = ("org_lg_code", "hours_per_month", "budget_max", "location_lg_code")
NEED_REQUIRED = ("external_id", "org_lg_code", "title", "stages", "work_style", "hours_per_month", "start",
                 "engagement_form")
WORK_STYLE_KEYS = ("remote", "onsite", "resident")
FEE_KEYS = ("unit", "amount", "negotiable")
BUDGET_KEYS = ("unit", "max")
IMPORTED_ENGAGEMENT_STATUSES = ENGAGEMENT_STATUSES  # every status (format 1 knew active and completed only)

# The expert CSV header (docs/interchange.md): one column per key; work styles and fee are flattened.
CSV_COLUMNS = ("external_id", "name", "email", "phone", "talent_type", "roles", "skills", "bio", "fields",
               "stages_led", "home_lg_code", "remote", "onsite", "resident", "max_travel_km", "travel_prefectures",
               "hours_per_month", "available_from", "available_until", "fee_unit", "fee_amount", "fee_negotiable",
               "schemes", "status", "listed", "visibility", "notify_opt_in", "availability_confirmed_at",
               "engagements")
CSV_LIST_COLUMNS = ("roles", "fields", "stages_led", "travel_prefectures", "schemes")
CSV_BOOL_COLUMNS = ("remote", "onsite", "resident", "fee_negotiable", "listed", "notify_opt_in")
CSV_INT_COLUMNS = ("max_travel_km", "hours_per_month", "fee_amount")
CSV_TRUE = {"true", "1", "yes", "y"}
CSV_FALSE = {"false", "0", "no", "n"}

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_INT_RE = re.compile(r"[+-]?\d+")
_INSTANT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


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

    def instant(self, value: object, path: str, *, nullable: bool = False) -> datetime | None:
        """A moment in ISO 8601 with its offset (export writes UTC: 2026-12-01T09:30:00+00:00)."""
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.error(path, f"must be a date-time string, not {_type_name(value)}")
            return None
        try:
            if not _INSTANT_RE.fullmatch(value):
                raise ValueError
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
        except ValueError:
            self.error(path, f"{value!r} is not a date-time YYYY-MM-DDTHH:MM:SS with an offset such as +00:00")
            return None

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
    data.skills = _check_expert_skills(c, obj.get("skills", {}), data.skill_sources)
    if "phone" in obj:
        data.extra_columns["phone"] = c.text(obj["phone"], "phone", "phone", nullable=True)
    if "status" in obj:
        data.extra_columns["status"] = c.choice(obj["status"], "status", EXPERT_STATUSES, "expert status")
    for key in ("listed", "notify_opt_in"):
        if key in obj:
            data.extra_columns[key] = c.boolean(obj[key], key)
    if "visibility" in obj:
        data.extra_columns["visibility"] = c.choice(obj["visibility"], "visibility", VISIBILITIES, "visibility")
    if "availability_confirmed_at" in obj:
        data.extra_columns["availability_confirmed_at"] = c.instant(
            obj["availability_confirmed_at"], "availability_confirmed_at", nullable=True)
    if "listing_consented_at" in obj:
        data.extra_columns["listing_consented_at"] = c.instant(
            obj["listing_consented_at"], "listing_consented_at", nullable=True)
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


def _check_expert_skills(c: _Checker, value: object, sources: dict[str, tuple]) -> dict[str, int]:
    """Skills: item -> level 0-4, or item -> {"level", "source", "rating_mean", "rating_count"} (format 2)."""
    if (value := c.mapping(value, "skills")) is None:
        return {}
    levels = {}
    for skill_id, spec in value.items():
        where = f"skills.{skill_id}"
        if skill_id not in c.taxonomy.items:
            c.error(where, "unknown skill id")
            continue
        if isinstance(spec, dict):
            c.keys(spec, SKILL_KEYS, ("level",), f"{where}.")
            source = c.choice(spec.get("source", "self"), f"{where}.source", SKILL_SOURCES, "skill source")
            mean = spec.get("rating_mean")
            if mean is not None:
                mean = c.number(mean, f"{where}.rating_mean", limits.RATING.low, limits.RATING.high)
            count = c.integer(spec.get("rating_count", 0), f"{where}.rating_count", 0, MAX_AMOUNT)
            if (mean is None) != (count in (0, None)):
                c.error(f"{where}.rating_mean", "a rating mean goes with a rating count above 0")
            sources[skill_id] = (source, None if mean is None else float(mean), count)
            if "level" not in spec:
                continue
            spec, where = spec["level"], f"{where}.level"
        if (level := c.integer(spec, where, limits.SKILL_LEVEL.low, limits.SKILL_LEVEL.high)) is not None:
            levels[skill_id] = level
    return levels


def _check_organization(c: _Checker, value: object, path: str) -> OrganizationData | None:
    """An organization without a local-government code: its key (Organization.code), kind, name, prefecture."""
    if (value := c.mapping(value, path)) is None:
        return None
    c.keys(value, ORG_KEYS, ORG_KEYS, f"{path}.")
    key = c.text(value["key"], f"{path}.key", "org_key", required=True) if "key" in value else None
    if key is not None and key in c.gazetteer:
        c.error(f"{path}.key", f"{key!r} is a local-government code: name it by org_lg_code")
    kind = c.choice(value["kind"], f"{path}.kind", OTHER_ORGANIZATION_KINDS, "organization kind") \
        if "kind" in value else None
    name = c.text(value["name"], f"{path}.name", "org_name", required=True) if "name" in value else None
    prefectures = {p.prefecture_code for p in c.gazetteer.prefectures()}
    prefecture = c.choice(value["prefecture_code"], f"{path}.prefecture_code", prefectures, "prefecture code") \
        if "prefecture_code" in value else None
    if None in (key, kind, name, prefecture):
        return None
    return OrganizationData(key=key, kind=kind, name=name, prefecture_code=prefecture)


def _check_engagement(c: _Checker, obj: object, path: str) -> EngagementData | None:
    if (obj := c.mapping(obj, path)) is None:
        return None
    c.keys(obj, ENGAGEMENT_KEYS, ENGAGEMENT_REQUIRED, f"{path}.")
    t = c.taxonomy
    org_lg_code = obj.get("org_lg_code")
    org_lg_code = c.lg_code(org_lg_code, f"{path}.org_lg_code") if org_lg_code is not None else None
    org = _check_organization(c, obj["org"], f"{path}.org") if obj.get("org") is not None else None
    if obj.get("org_lg_code") is None and obj.get("org") is None:
        c.error(f"{path}.org_lg_code", "required key is missing (or give org for an organization without one)")
    elif obj.get("org_lg_code") is not None and obj.get("org") is not None:
        c.error(f"{path}.org", "give org_lg_code or org, not both")
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
    comment = c.text(obj["comment"], f"{path}.comment", "comment") if "comment" in obj else None
    skill_ratings = None
    if "skill_ratings" in obj:
        skill_ratings = {}
        if (ratings := c.mapping(obj["skill_ratings"], f"{path}.skill_ratings")) is not None:
            for skill_id, value in ratings.items():
                if skill_id not in t.items:
                    c.error(f"{path}.skill_ratings.{skill_id}", "unknown skill id")
                elif (value := c.integer(value, f"{path}.skill_ratings.{skill_id}", limits.RATING.low, limits.RATING.high)) is not None:
                    skill_ratings[skill_id] = value
    if status == "completed" and obj.get("end") is None:
        c.error(f"{path}.end", "a completed engagement needs an end date")
    if status in ("active", "proposed", "cancelled") and obj.get("rating") is not None:
        c.error(f"{path}.rating", f"an engagement that is {status}, not completed, cannot be rated"
                if status != "active" else "an active engagement cannot be rated yet")
    if status == "active" and obj.get("would_rehire") is not None:
        c.error(f"{path}.would_rehire", "an active engagement cannot be judged yet")
    elif obj.get("would_rehire") is not None and obj.get("rating") is None:
        c.error(f"{path}.would_rehire", "would_rehire needs a rating")
    if obj.get("rating") is None and (obj.get("comment") or obj.get("skill_ratings")):
        c.error(f"{path}.{'comment' if obj.get('comment') else 'skill_ratings'}",
                "belongs to an evaluation: it needs a rating")
    outcome = c.text(obj["outcome"], f"{path}.outcome", "outcome", nullable=True) if "outcome" in obj else None
    item = EngagementData(
        org_lg_code=org_lg_code, org=org, title=title or "", start=start or date.min, hours_per_month=hours or 0,
        status=status or "", stages=c.id_list(obj.get("stages", []), f"{path}.stages", t.stages, "stage id"),
        fields=c.id_list(obj.get("fields", []), f"{path}.fields", t.fields, "field id"),
        role=c.text(obj.get("role", ""), f"{path}.role", "role") or "",
        contribution=c.text(obj.get("contribution", ""), f"{path}.contribution", "contribution") or "",
        end=end, rating=rating, would_rehire=would_rehire, outcome=outcome, has_outcome="outcome" in obj,
        comment=comment, skill_ratings=skill_ratings)
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


def parse_expert_objects(objects: Iterable[tuple[int, dict]], taxonomy: Taxonomy, *,
                         gazetteer: Gazetteer | None = None) -> Parsed:
    """Validate expert objects read elsewhere, (line, object) pairs, exactly as lines of import-experts.

    The roster importer (hub/services/roster.py) reads .xlsx and CSV rows into objects and checks them here,
    so a roster and a JSONL file obey one rule.
    """
    return _parse(None, lambda _source, _errors: iter(objects), _check_expert, taxonomy, gazetteer or load_gazetteer())


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


def check_need(obj: Any, taxonomy: Taxonomy, *, gazetteer: Gazetteer | None = None
               ) -> tuple[NeedData | None, dict[str, list[str]]]:
    """Validate one need object exactly as a line of `import-needs` (the JSON API's need bodies use it too).

    Returns the need's data, or None and the errors by field path.
    """
    return _check_one(obj, _check_need, taxonomy, gazetteer)


def check_expert(obj: Any, taxonomy: Taxonomy, *, gazetteer: Gazetteer | None = None
                 ) -> tuple[ExpertData | None, dict[str, list[str]]]:
    """Validate one expert object exactly as a line of `import-experts` (PATCH /api/v1/experts/me uses it)."""
    return _check_one(obj, _check_expert, taxonomy, gazetteer)


def _check_one(obj: Any, check, taxonomy: Taxonomy, gazetteer: Gazetteer | None) -> tuple[Any, dict[str, list[str]]]:
    errors: list[LineError] = []
    if not isinstance(obj, dict):
        return None, {"": [f"must be an object, not {_type_name(obj)}"]}
    data = check(_Checker(taxonomy, gazetteer or load_gazetteer(), 1, errors), obj)
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(error.field, []).append(error.message)
    return (data if not fields else None), fields


def _expert_loader():
    return (selectinload(ExpertProfile.skills), selectinload(ExpertProfile.roles),
            selectinload(ExpertProfile.fields), selectinload(ExpertProfile.stages_led),
            selectinload(ExpertProfile.schemes), selectinload(ExpertProfile.travel_prefectures),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.organization),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.stages),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.fields),
            selectinload(ExpertProfile.engagements).selectinload(Engagement.evaluation)
            .selectinload(Evaluation.skill_ratings))


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

    Non-destructive: each row is compared with what the database holds and written only where it differs,
    so importing the hub's own export changes nothing. Skills keep their verification source unless the
    line gives it; engagements are matched to the expert's existing ones by organization, start and title
    (updated in place, their evaluation with its comment and skill ratings kept); an imported engagement the
    line no longer names is removed, one the hub recorded itself (from a need or a dispatch) is kept.
    Uses a few multi-row statements per batch of `batch_size` experts instead of one ORM object per row:
    at 10,000 experts the unit of work, not the database, was the bottleneck (69 s against about 7 s on
    SQLite). Objects already in the session are expired afterwards: rows changed under them.
    """
    gazetteer = gazetteer or load_gazetteer()
    session.flush()
    ids = _existing_ids(session, [r.external_id for r in records])
    organizations = LocalGovernments(session, gazetteer)
    items = [e for r in records for e in (r.engagements or ())]
    codes = sorted({e.org_lg_code for e in items if e.org_lg_code})
    organizations.preload(codes)
    orgs = [organizations.get(code) for code in codes]
    others = _other_organizations(session, [e.org for e in items if e.org is not None], gazetteer)
    session.flush()
    org_ids = {org.lg_code: org.id for org in orgs} | {key: org.id for key, org in others.items()}
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


def _other_organizations(session: Session, wanted: list[OrganizationData],
                         gazetteer: Gazetteer) -> dict[str, Organization]:
    """Find organizations by key (Organization.code), adding the missing ones as the file describes them.

    An existing organization is used as the hub has it: the file's name for it does not rename it.
    """
    keys = sorted({o.key for o in wanted})
    found = {}
    for i in range(0, len(keys), 1000):
        for org in session.scalars(select(Organization).where(Organization.code.in_(keys[i:i + 1000]))):
            found[org.code] = org
    for o in wanted:
        if o.key not in found:
            found[o.key] = Organization(code=o.key, kind=o.kind, name=o.name, lg_code=None,
                                        prefecture_code=o.prefecture_code,
                                        bureau_id=gazetteer.bureau_of(o.prefecture_code).id)
            session.add(found[o.key])
    return found


def _existing_ids(session: Session, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(external_ids), 1000):
        chunk = external_ids[i:i + 1000]
        found.update((row[0], row[1]) for row in session.execute(
            select(ExpertProfile.external_id, ExpertProfile.id).where(ExpertProfile.external_id.in_(chunk))))
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal as stored: SQLite returns naive datetimes (UTC), PostgreSQL aware ones."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(tzinfo=a.tzinfo or timezone.utc) == b.replace(tzinfo=b.tzinfo or timezone.utc)
    return a == b


def _load(connection: Connection, model, column: str, values: list) -> dict[tuple, dict]:
    """The rows of `model` whose `column` is in `values`, by primary key."""
    table = model.__table__
    key = [c.name for c in table.primary_key.columns]
    rows = {}
    for i in range(0, len(values), 1000):
        for row in connection.execute(select(table).where(table.c[column].in_(values[i:i + 1000]))
                                      .order_by(*table.primary_key.columns)):
            rows[tuple(row._mapping[k] for k in key)] = dict(row._mapping)
    return rows


def _sync(connection: Connection, model, existing: dict[tuple, dict], wanted: list[dict]) -> set:
    """Make the rows in `existing` be exactly `wanted` (matched by primary key), writing only differences.

    Return the keys of the rows inserted, deleted or changed.
    """
    table = model.__table__
    key = [c.name for c in table.primary_key.columns]
    by_key = {tuple(row[k] for k in key): row for row in wanted}
    gone = [k for k in existing if k not in by_key]
    fresh = [row for k, row in by_key.items() if k not in existing]
    changed = [row for k, row in by_key.items()
               if k in existing and any(not _same(existing[k][c], v) for c, v in row.items())]
    where = [table.c[k] == bindparam(f"_{k}") for k in key]
    if gone:
        connection.execute(delete(table).where(*where), [{f"_{k}": v for k, v in zip(key, g)} for g in gone])
    if fresh:
        connection.execute(insert(table), fresh)
    if changed:
        connection.execute(update(table).where(*where), [row | {f"_{k}": row[k] for k in key} for row in changed])
    return set(gone) | {tuple(row[k] for k in key) for row in fresh + changed}


def _date_listing_consent(wanted: dict, current: datetime | None, now: datetime) -> dict:
    """A listed expert has a dated consent (hub/services/privacy.py): a file that lists someone without saying
    when they consented carries the consent its roster holder collected, dated now, unless one is on record."""
    if wanted.get("listed") and wanted.get("listing_consented_at", current) is None:
        wanted["listing_consented_at"] = now
    return wanted


def _write_expert_batch(connection: Connection, batch: list[ExpertData], ids: dict[str, int],
                        org_ids: dict[str, int], gazetteer: Gazetteer) -> tuple[int, int]:
    """Write one batch with Core statements: profiles first (for their ids), then each table's differences."""
    profiles = ExpertProfile.__table__
    new = [r for r in batch if r.external_id not in ids]
    old = [r for r in batch if r.external_id in ids]
    now = utcnow()
    touched: set[int] = set()
    if old:
        current = {row.id: row._mapping for row in connection.execute(
            select(profiles).where(profiles.c.id.in_([ids[r.external_id] for r in old])))}
        changed = []
        for r in old:
            expert_id = ids[r.external_id]
            row = current[expert_id]
            wanted = expert_columns(r, gazetteer)
            wanted |= {k: row[k] for k in EXPERT_STATE_DEFAULTS if k not in wanted}
            _date_listing_consent(wanted, row["listing_consented_at"], now)
            if any(not _same(row[k], v) for k, v in wanted.items()):
                changed.append(wanted | {"_id": expert_id, "updated_at": now})
                touched.add(expert_id)
        if changed:
            connection.execute(update(profiles).where(profiles.c.id == bindparam("_id")), changed)
    if new:
        new_ids = connection.execute(
            insert(profiles).returning(profiles.c.id, sort_by_parameter_order=True),
            [_date_listing_consent(EXPERT_STATE_DEFAULTS | expert_columns(r, gazetteer)
                                   | {"external_id": r.external_id, "created_at": now, "updated_at": now}, None, now)
             for r in new]).scalars().all()
        ids.update(zip((r.external_id for r in new), new_ids))
    batch_ids = [ids[r.external_id] for r in batch]

    skills = _load(connection, ExpertSkill, "expert_id", batch_ids)
    wanted_skills = []
    for r in batch:
        expert_id = ids[r.external_id]
        for skill_id, level in r.skills.items():
            kept = skills.get((expert_id, skill_id), {"source": "self", "rating_mean": None, "rating_count": 0})
            source, mean, count = r.skill_sources.get(skill_id) or (kept["source"], kept["rating_mean"],
                                                                     kept["rating_count"])
            wanted_skills.append({"expert_id": expert_id, "skill_id": skill_id, "level": level, "source": source,
                                  "rating_mean": mean, "rating_count": count})
    # Skills read from the text are derived: a line that does not name them keeps them (infer_skills re-reads).
    named = {(ids[r.external_id], skill_id) for r in batch for skill_id in r.skills}
    wanted_skills += [dict(row) for key, row in skills.items() if row["source"] == "inferred" and key not in named]
    touched |= {k[0] for k in _sync(connection, ExpertSkill, skills, wanted_skills)}
    for model, column, values in ((ExpertRole, "role_id", lambda r: r.roles),
                                  (ExpertField, "field_id", lambda r: r.fields),
                                  (ExpertStage, "stage_id", lambda r: r.stages_led),
                                  (ExpertScheme, "scheme", lambda r: r.schemes),
                                  (ExpertTravelPrefecture, "prefecture_code", lambda r: r.travel_prefectures)):
        wanted = [{"expert_id": ids[r.external_id], column: v} for r in batch for v in dict.fromkeys(values(r))]
        touched |= {k[0] for k in _sync(connection, model, _load(connection, model, "expert_id", batch_ids), wanted)}
    touched |= _write_engagements(connection, batch, ids, org_ids, now)
    if touched := sorted(touched - {ids[r.external_id] for r in new}):  # the matcher's index re-reads these
        connection.execute(update(profiles).where(profiles.c.id.in_(touched)).values(updated_at=now))
    return len(new), len(old)


def _write_engagements(connection: Connection, batch: list[ExpertData], ids: dict[str, int],
                       org_ids: dict[str, int], now: datetime) -> set[int]:
    """Match each line's engagements to the expert's (organization, start, title; in order), write differences.

    Return the ids of the experts whose engagements changed.
    """
    table = Engagement.__table__
    batch_ids = [ids[r.external_id] for r in batch]
    existing = _load(connection, Engagement, "expert_id", batch_ids)
    unmatched: dict[tuple, list[dict]] = {}
    for row in existing.values():  # in id order
        unmatched.setdefault((row["expert_id"], row["organization_id"], row["start_date"], row["title"]),
                             []).append(row)
    pairs: list[tuple[dict, EngagementData]] = []  # (existing row, line's engagement)
    fresh: list[tuple[int, EngagementData]] = []
    for r in batch:
        expert_id = ids[r.external_id]
        for item in r.engagements or ():
            org_id = org_ids[item.org_lg_code or item.org.key]
            rows = unmatched.get((expert_id, org_id, item.start, item.title))
            if rows:
                pairs.append((rows.pop(0), item))
            else:
                fresh.append((expert_id, item))
    touched: set[int] = set()
    gone = [row["id"] for rows in unmatched.values() for row in rows if row["source"] == "import"]
    touched |= {row["expert_id"] for rows in unmatched.values() for row in rows if row["source"] == "import"}
    if gone:
        evaluations = select(Evaluation.id).where(Evaluation.engagement_id.in_(gone))
        connection.execute(delete(EvaluationSkill.__table__).where(EvaluationSkill.evaluation_id.in_(evaluations)))
        for model in (EngagementStage, EngagementField, Evaluation):
            connection.execute(delete(model.__table__).where(model.__table__.c.engagement_id.in_(gone)))
        connection.execute(delete(table).where(table.c.id.in_(gone)))

    changed = []
    for row, item in pairs:
        wanted = {k: v for k, v in engagement_columns(item).items() if k != "source"}
        wanted["outcome"] = item.outcome if item.has_outcome else row["outcome"]
        if any(not _same(row[k], v) for k, v in wanted.items()):
            changed.append(wanted | {"_id": row["id"]})
            touched.add(row["expert_id"])
    if changed:
        connection.execute(update(table).where(table.c.id == bindparam("_id")), changed)
    if fresh:
        new_ids = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [engagement_columns(item) | {"expert_id": expert_id, "organization_id": org_ids[item.org_lg_code or item.org.key],
                                        "outcome": item.outcome, "created_at": now}
             for expert_id, item in fresh]).scalars().all()
        pairs += [({"id": e, "expert_id": expert_id}, item) for e, (expert_id, item) in zip(new_ids, fresh)]
        touched |= {expert_id for expert_id, _ in fresh}

    engagement_ids = [row["id"] for row, _ in pairs]
    expert_of = {row["id"]: row["expert_id"] for row, _ in pairs}
    for model, column, values in ((EngagementStage, "stage_id", lambda item: item.stages),
                                  (EngagementField, "field_id", lambda item: item.fields)):
        wanted = [{"engagement_id": row["id"], column: v} for row, item in pairs for v in dict.fromkeys(values(item))]
        keys = _sync(connection, model, _load(connection, model, "engagement_id", engagement_ids), wanted)
        touched |= {expert_of[k[0]] for k in keys}
    _write_evaluations(connection, pairs, now)
    return touched


def _write_evaluations(connection: Connection, pairs: list[tuple[dict, EngagementData]], now: datetime) -> None:
    """The evaluation of each engagement: the line's rating; comment and skill ratings kept when not given."""
    table = Evaluation.__table__
    existing = {row["engagement_id"]: row for row in
                _load(connection, Evaluation, "engagement_id", [row["id"] for row, _ in pairs]).values()
                if row["co_organization_id"] is None}  # co-organizations' evaluations: the backup carries them
    gone = [existing[row["id"]]["id"] for row, item in pairs if item.rating is None and row["id"] in existing]
    if gone:
        connection.execute(delete(EvaluationSkill.__table__).where(EvaluationSkill.evaluation_id.in_(gone)))
        connection.execute(delete(table).where(table.c.id.in_(gone)))
    rated = [(row["id"], item) for row, item in pairs if item.rating is not None]
    changed = []
    for engagement_id, item in rated:
        if (current := existing.get(engagement_id)) is None:
            continue
        wanted = {"overall": item.rating, "would_rehire": item.would_rehire,
                  "comment": current["comment"] if item.comment is None else item.comment}
        if any(not _same(current[k], v) for k, v in wanted.items()):
            changed.append(wanted | {"_id": current["id"]})
    if changed:
        connection.execute(update(table).where(table.c.id == bindparam("_id")), changed)
    fresh = [(engagement_id, item) for engagement_id, item in rated if engagement_id not in existing]
    evaluation_ids = {engagement_id: existing[engagement_id]["id"] for engagement_id, _ in rated
                      if engagement_id in existing}
    if fresh:
        new_ids = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [{"engagement_id": engagement_id, "overall": item.rating, "would_rehire": item.would_rehire,
              "comment": item.comment or "", "created_at": now} for engagement_id, item in fresh]).scalars().all()
        evaluation_ids.update(zip((engagement_id for engagement_id, _ in fresh), new_ids))
    given = [(evaluation_ids[engagement_id], item.skill_ratings) for engagement_id, item in rated
             if item.skill_ratings is not None]
    if given:
        _sync(connection, EvaluationSkill, _load(connection, EvaluationSkill, "evaluation_id", [e for e, _ in given]),
              [{"evaluation_id": e, "skill_id": s, "rating": v} for e, ratings in given for s, v in ratings.items()])


def infer_imported_skills(session: Session, records: list[ExpertData], *, matcher=None) -> int:
    """Read skills from the text of imported experts whose lines carry few levels (rosters of 経歴 prose)."""
    from hub.services.experts import infer_skills
    from matching import needs_inference

    sparse = [r.external_id for r in records if needs_inference(r.skills)]
    ids = [i for chunk in range(0, len(sparse), 500) for i in session.scalars(
        select(ExpertProfile.id).where(ExpertProfile.external_id.in_(sparse[chunk:chunk + 500])))]
    return infer_skills(session, ids, matcher=matcher, audited=False) if ids else 0


def import_experts(session: Session, source: bytes | IO[bytes], taxonomy: Taxonomy, *, format: str = "jsonl",
                   user: User | None = None, filename: str = "", gazetteer: Gazetteer | None = None,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate a whole file, then apply it when no line is bad; audit one event per file. Never commits."""
    parsed = parse_experts(source, taxonomy, format=format, gazetteer=gazetteer)
    if not parsed.ok:
        return ImportReport(errors=parsed.errors, records=len(parsed.records))
    created, updated = apply_experts(session, parsed.records, gazetteer=gazetteer, progress=progress)
    inferred = infer_imported_skills(session, parsed.records)
    audit.record(session, user, "expert.import", "expert", filename or "-", file=filename, format=format,
                 records=len(parsed.records), created=created, updated=updated, skills_read_from_text=inferred)
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
    if "team_roles" in obj and (roles := c.mapping(obj["team_roles"], "team_roles")) is not None:
        data.team_roles = {}
        for role_id, hours in roles.items():
            if role_id not in t.roles:
                c.error(f"team_roles.{role_id}", "unknown role id")
            elif (value := c.integer(hours, f"team_roles.{role_id}", limits.COMMITTED_HOURS.low,
                                     limits.COMMITTED_HOURS.high)) is not None:
                data.team_roles[role_id] = value
    if "co_organizations" in obj and isinstance(shares := obj["co_organizations"], list):
        data.shares = []
        for i, share in enumerate(shares):
            where = f"co_organizations[{i}]"
            if (share := c.mapping(share, where)) is None:
                continue
            c.keys(share, SHARE_KEYS, ("org_lg_code", "hours_per_month"), f"{where}.")
            code = c.lg_code(share["org_lg_code"], f"{where}.org_lg_code") if "org_lg_code" in share else None
            hours = (c.integer(share["hours_per_month"], f"{where}.hours_per_month", 0, MAX_HOURS_PER_MONTH)
                     if "hours_per_month" in share else None)
            budget = c.integer(share.get("budget_max"), f"{where}.budget_max", 0, MAX_AMOUNT, nullable=True)
            site = c.lg_code(share.get("location_lg_code"), f"{where}.location_lg_code", nullable=True)
            if code is not None and hours is not None:
                data.shares.append(ShareData(code, hours, budget, site))
    elif "co_organizations" in obj:
        c.error("co_organizations", "must be a list")
    if not c.failed:
        for problem, i in team_and_share_problems(data):
            c.error(f"co_organizations[{i}]" if i is not None else _SHARE_PROBLEM_PATHS[problem],
                    SHARE_PROBLEM_TEXTS[problem])
    return None if c.failed else data


_SHARE_PROBLEM_PATHS = {"roles_hours_sum": "team_roles", "shares_hours_over": "co_organizations",
                        "shares_budget_over": "co_organizations"}
SHARE_PROBLEM_TEXTS = {
    "roles_hours_sum": "the roles' hours must add up to hours_per_month",
    "share_is_lead": "the posting organization (org_lg_code) cannot also be a co-organization",
    "share_twice": "this co-organization is listed twice",
    "shares_hours_over": "the co-organizations' hours exceed hours_per_month",
    "share_budget_without_budget": "a budget share needs the need's budget",
    "shares_budget_over": "the co-organizations' budget shares exceed budget.max",
}


def parse_needs(source: bytes | IO[bytes], taxonomy: Taxonomy, *, gazetteer: Gazetteer | None = None) -> Parsed:
    """Read and validate every need of a JSONL file; report every error; write nothing."""
    return _parse(source, _jsonl_objects, _check_need, taxonomy, gazetteer or load_gazetteer())


def apply_needs(session: Session, records: list[NeedData], *, gazetteer: Gazetteer | None = None,
                progress: Callable[[int], None] | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Create or update the needs of validated records; flush in batches; return (created, updated)."""
    gazetteer = gazetteer or load_gazetteer()
    existing = _existing(session, Need, [r.external_id for r in records],
                         (selectinload(Need.stages), selectinload(Need.skills), selectinload(Need.fields),
                          selectinload(Need.organization), selectinload(Need.team_roles),
                          selectinload(Need.shares)))
    organizations = LocalGovernments(session, gazetteer)
    organizations.preload([r.org_lg_code for r in records if r.org_lg_code]
                          + [s.org_lg_code for r in records for s in (r.shares or ())])
    created = updated = 0
    with session.no_autoflush:
        for i, data in enumerate(records, start=1):
            need = existing.get(data.external_id)
            apply_need(session, need, data, organizations.get(data.org_lg_code), organizations.get)
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


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value.isoformat()


def _skill_to_interchange(skill: ExpertSkill) -> int | dict:
    """A self-assessed level as a plain number; with its source and ratings once evaluations rated it."""
    if skill.source == "self" and not skill.rating_count and skill.rating_mean is None:
        return skill.level
    return {"level": skill.level, "source": skill.source, "rating_mean": _number(skill.rating_mean),
            "rating_count": skill.rating_count}


def _organization_key(organization: Organization) -> str:
    return organization.lg_code or organization.code


def expert_to_interchange(expert: ExpertProfile) -> dict:
    """Return the interchange object of one expert, with every engagement (every status, every organization)."""
    engagements = sorted(expert.engagements,
                         key=lambda e: (e.start_date, _organization_key(e.organization), e.title, e.id or 0))
    return {
        "external_id": expert.external_id,
        "name": expert.name,
        "email": expert.email,
        "phone": expert.phone,
        "talent_type": expert.talent_type,
        "roles": sorted(expert.role_ids),
        # Skills read from the text are derived (like embeddings): an import reads the text again.
        "skills": {s.skill_id: _skill_to_interchange(s) for s in sorted(expert.skills, key=lambda s: s.skill_id)
                   if s.source != "inferred"},
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
        "status": expert.status,
        "listed": expert.listed,
        "visibility": expert.visibility,
        "notify_opt_in": expert.notify_opt_in,
        "availability_confirmed_at": _instant(expert.availability_confirmed_at),
        "listing_consented_at": _instant(expert.listing_consented_at),
        "engagements": [engagement_to_interchange(e) for e in engagements],
    }


def engagement_to_interchange(engagement: Engagement) -> dict:
    """One engagement of an expert line (also the base of the expert's own data download)."""
    evaluation: Evaluation | None = engagement.evaluation
    org = engagement.organization
    return {
        "org_lg_code": org.lg_code,
        "org": None if org.lg_code is not None else {"key": org.code, "kind": org.kind, "name": org.name,
                                                     "prefecture_code": org.prefecture_code},
        "title": engagement.title,
        "stages": sorted(engagement.stage_ids),
        "fields": sorted(engagement.field_ids),
        "role": engagement.role or "",
        "contribution": engagement.contribution or "",
        "outcome": engagement.outcome,
        "start": _iso(engagement.start_date),
        "end": _iso(engagement.end_date),
        "hours_per_month": engagement.hours_per_month,
        "status": engagement.status,
        "rating": _number(evaluation.overall) if evaluation is not None else None,
        "would_rehire": evaluation.would_rehire if evaluation is not None else None,
        "comment": evaluation.comment if evaluation is not None else "",
        "skill_ratings": ({r.skill_id: r.rating for r in sorted(evaluation.skill_ratings, key=lambda r: r.skill_id)}
                          if evaluation is not None else {}),
    }


def export_experts(session: Session, *, batch_size: int = 1000) -> Iterator[dict]:
    """Yield every expert as an interchange object, sorted by external_id.

    Deleted accounts are left out: their anonymised rows belong to the organizations' history, which
    export-all keeps; a roster file should not bring them back as experts.
    """
    query = (select(ExpertProfile).where(ExpertProfile.deleted_at.is_(None)).order_by(ExpertProfile.external_id).options(*_expert_loader())
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
        "team_roles": {r.role_id: r.hours_per_month for r in sorted(need.team_roles, key=lambda r: r.role_id)},
        "co_organizations": sorted(({"org_lg_code": s.organization.lg_code, "hours_per_month": s.hours_per_month,
                                     "budget_max": s.budget_max, "location_lg_code": s.location_lg_code}
                                    for s in need.shares), key=lambda s: s["org_lg_code"]),
    }


def export_needs(session: Session, *, batch_size: int = 1000) -> Iterator[dict]:
    """Yield every need of a local government as an interchange object, sorted by external_id.

    Needs of organizations without an lg_code (NPOs, businesses …) cannot be named in the format
    and are skipped with a warning in the log.
    """
    query = (select(Need).order_by(Need.external_id)
             .options(selectinload(Need.stages), selectinload(Need.skills), selectinload(Need.fields),
                      selectinload(Need.organization), selectinload(Need.team_roles),
                      selectinload(Need.shares).selectinload(NeedShare.organization))
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
