"""The columns of a roster file, declared once in hub/data/roster_columns.yaml.

The importer (hub/services/roster.py) finds a file's columns by their headers here and reads each cell
the way its column says; the downloadable templates and docs/roster.md are made from the same list, so a
column added to the file is accepted, offered and documented at once. `load_columns` checks the file
against the taxonomy when the app starts and raises RosterColumnsError naming every problem.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from hub.services.interchange import EXPERT_KEYS, FEE_KEYS
from skill_taxonomy import Taxonomy

COLUMNS_FILE = Path(__file__).resolve().parent.parent / "data" / "roster_columns.yaml"
READERS = ("text", "integer", "date", "yes_no", "choice", "list", "skills", "prefecture", "municipality")
VOCABULARIES = ("talent_types", "fee_units", "roles", "fields", "stages", "schemes", "work_styles")
ENTRY_KEYS = {"key", "header_ja", "header_en", "aliases", "required", "read", "vocabulary", "only", "values",
              "default", "example", "help_ja", "help_en"}
# Keys a column may fill: the interchange expert's own, its nested fee, and the two halves of the home place.
TARGETS = (set(EXPERT_KEYS) - {"engagements", "fee", "home_lg_code"}
           | {f"fee.{k}" for k in FEE_KEYS} | {"home.prefecture", "home.municipality"})
_SPACE_RE = re.compile(r"[\s\u3000]+")


class RosterColumnsError(ValueError):
    """The column declarations are broken; the message lists every problem."""


def normalize(text: str) -> str:
    """A header or a vocabulary word as compared: NFKC (full-width letters and digits), no spaces, case folded."""
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


@dataclass(frozen=True)
class Column:
    key: str
    header_ja: str
    header_en: str
    read: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    vocabulary: str | None = None
    only: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default: object = None
    example: object = ""
    help_ja: str = ""
    help_en: str = ""

    def header(self, locale: object = "ja") -> str:
        return self.header_en if str(locale).startswith("en") else self.header_ja

    def help(self, locale: object = "ja") -> str:
        return self.help_en if str(locale).startswith("en") else self.help_ja

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for the column."""
        return (self.header_ja, self.header_en, *self.aliases)


@dataclass(frozen=True)
class Columns:
    """The declared columns in template order, with their vocabularies resolved against the taxonomy."""

    columns: tuple[Column, ...]
    by_header: dict[str, Column]  # normalized header -> column
    words: dict[str, dict[str, str]]  # vocabulary -> normalized word (id, label, value alias) -> id
    labels: dict[str, list[tuple[str, str, str]]]  # vocabulary -> [(id, ja label, en label)] a roster may use

    def find(self, header: str) -> Column | None:
        return self.by_header.get(normalize(header))

    def allowed(self, column: Column, locale: object = "ja") -> list[str]:
        """The words a cell of `column` may hold, in the user's language (for the template and the docs)."""
        if column.vocabulary is None:
            return []
        english = str(locale).startswith("en")
        return [en if english else ja for _id, ja, en in self.labels[column.vocabulary]]


def _vocabulary(taxonomy: Taxonomy, name: str) -> list[tuple[str, str, str]]:
    if name == "talent_types" or name in taxonomy.enums:
        entries = taxonomy.enums[name].values()
    else:
        entries = {"roles": taxonomy.roles, "fields": taxonomy.fields, "stages": taxonomy.stages}[name].values()
    return [(e.id, e.name("ja"), e.name("en")) for e in entries]


def build(raw: object, taxonomy: Taxonomy) -> Columns:
    """Check the declarations and resolve their vocabularies; raise RosterColumnsError with every problem."""
    problems: list[str] = []
    entries = raw.get("columns") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RosterColumnsError("roster columns: expected a non-empty list under `columns`")
    columns: list[Column] = []
    by_header: dict[str, Column] = {}
    keys: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"column {n}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        where = f"column {n} ({entry.get('key')})"
        for unknown in set(entry) - ENTRY_KEYS:
            problems.append(f"{where}: unknown entry {unknown!r}")
        for needed in ("key", "header_ja", "header_en", "read", "help_ja", "help_en"):
            if not isinstance(entry.get(needed), str) or not entry.get(needed):
                problems.append(f"{where}: {needed} must be a non-empty string")
        key, read = entry.get("key"), entry.get("read")
        if key not in TARGETS:
            problems.append(f"{where}: key {key!r} is not an interchange expert key")
        if key in keys:
            problems.append(f"{where}: key {key!r} declared twice")
        keys.add(key)
        if read not in READERS:
            problems.append(f"{where}: read must be one of {', '.join(READERS)}")
        vocabulary = entry.get("vocabulary")
        if (read in ("choice", "list")) != (vocabulary is not None):
            problems.append(f"{where}: choice and list columns, and only they, name a vocabulary")
        labels: list[tuple[str, str, str]] = []
        if vocabulary is not None:
            if vocabulary not in VOCABULARIES:
                problems.append(f"{where}: unknown vocabulary {vocabulary!r}")
            else:
                labels = _vocabulary(taxonomy, vocabulary)
        ids = {i for i, _ja, _en in labels}
        only = tuple(entry.get("only") or ())
        for value in only:
            if value not in ids:
                problems.append(f"{where}: only: {value!r} is not in {vocabulary}")
        values = entry.get("values") or {}
        if not isinstance(values, dict):
            problems.append(f"{where}: values must map ids to lists of words")
            values = {}
        for value, words in values.items():
            if value not in ids or (only and value not in only):
                problems.append(f"{where}: values: {value!r} is not an id this column accepts")
            if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
                problems.append(f"{where}: values: {value!r} needs a list of words")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            problems.append(f"{where}: aliases must be a list of headers")
            aliases = []
        if problems:
            continue
        column = Column(key=key, header_ja=entry["header_ja"], header_en=entry["header_en"], read=read,
                        required=bool(entry.get("required", False)), aliases=tuple(str(a) for a in aliases),
                        vocabulary=vocabulary, only=only,
                        values={k: tuple(v) for k, v in values.items()}, default=entry.get("default"),
                        example="" if entry.get("example") is None else entry["example"],
                        help_ja=entry["help_ja"], help_en=entry["help_en"])
        for header in column.headers:
            other = by_header.get(normalize(header))
            if other is not None and other is not column:
                problems.append(f"{where}: header {header!r} is also a header of {other.key}")
            by_header[normalize(header)] = column
        columns.append(column)
    for needed in ("external_id", "name"):
        if needed not in keys:
            problems.append(f"no column for the required key {needed}")
    if ("home.prefecture" in keys) != ("home.municipality" in keys):
        problems.append("home.prefecture and home.municipality go together")
    if problems:
        raise RosterColumnsError("roster columns (hub/data/roster_columns.yaml):\n  " + "\n  ".join(problems))
    words: dict[str, dict[str, str]] = {}
    used: dict[str, list[tuple[str, str, str]]] = {}
    for column in columns:
        if column.vocabulary is None:
            continue
        entries_ = [e for e in _vocabulary(taxonomy, column.vocabulary) if not column.only or e[0] in column.only]
        used[column.vocabulary] = entries_
        table = words.setdefault(column.vocabulary, {})
        for value, ja, en in entries_:
            for word in (value, ja, en, *column.values.get(value, ())):
                table[normalize(word)] = value
    return Columns(tuple(columns), by_header, words, used)


@lru_cache(maxsize=4)
def _load(path: Path, taxonomy: Taxonomy) -> Columns:
    with path.open(encoding="utf-8") as stream:
        return build(yaml.safe_load(stream), taxonomy)


def load_columns(taxonomy: Taxonomy, path: Path | None = None) -> Columns:
    """The declared columns (read once per taxonomy)."""
    return _load(path or COLUMNS_FILE, taxonomy)
