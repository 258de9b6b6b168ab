"""Read and validate the YAML data files into a `Taxonomy`.

Every problem is collected as "<file>: <entry>: <problem>", where the entry is an id or a
dotted path such as `development.prior.frontend_dev`, and all are reported together in one
`TaxonomyError`, so a broken edit is fixed in one round.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .model import (
    ENUM_IDS,
    LEVELS,
    TALENT_TYPES,
    STAFFING_RULES,
    WORK_PLACES,
    Category,
    Field,
    Label,
    Level,
    LiteracyArea,
    LiteracyItem,
    PeopleType,
    Prior,
    Role,
    SkillItem,
    Stage,
    Subcategory,
    Taxonomy,
)

DATA_DIR = Path(__file__).parent / "data"

# DSS-P ver.1.x, DSS-L and the hub's eight stages (reference/dss_facts.yaml, domain_facts.md).
EXPECTED_COUNTS = {
    "categories": 5, "subcategories": 12, "items": 49, "people_types": 5, "roles": 15,
    "stages": 8, "literacy_areas": 4, "literacy_items": 23,
}


class TaxonomyError(Exception):
    """The taxonomy data files are missing or broken; `problems` lists every problem found."""

    def __init__(self, data_dir: Path, problems: list[str] | tuple[str, ...]):
        super().__init__(data_dir, tuple(problems))  # args as given, so the error pickles
        self.data_dir = data_dir
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return (f"invalid taxonomy data in {self.data_dir} ({len(self.problems)} problem(s)):\n"
                + "\n".join(f"- {problem}" for problem in self.problems))


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


# kind -> (test, what the value should be)
_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "text": (_text, "a non-empty string"),
    "text_or_null": (lambda v: v is None or _text(v), "a non-empty string or null"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "map": (lambda v: isinstance(v, dict), "a mapping"),
    "texts": (lambda v: isinstance(v, list) and bool(v) and all(map(_text, v)),
              "a non-empty list of non-empty strings"),
}
# Specs map key -> kind; a key ending in "?" may be left out.
_NAMES = {"id": "text", "name_ja": "text", "name_en": "text"}
_DESCRIBED = _NAMES | {"description_ja": "text", "description_en": "text"}
_OPTIONALLY_DESCRIBED = _NAMES | {"description_ja?": "text", "description_en?": "text"}
SPECS: dict[str, dict[str, str]] = {
    "category": _OPTIONALLY_DESCRIBED | {"subcategories": "list"},
    "subcategory": _OPTIONALLY_DESCRIBED | {"items": "list"},
    "item": _DESCRIBED | {"seq": "int", "keywords_ja": "texts", "keywords_en": "texts"},
    "level": {"level": "int", "name_ja": "text", "name_en": "text",
              "description_ja": "text", "description_en": "text"},
    "people_type": dict(_DESCRIBED),
    "role": _DESCRIBED | {"type": "text", "xd_hint": "text"},
    "literacy_area": _DESCRIBED | {"items": "list"},
    "literacy_item": dict(_OPTIONALLY_DESCRIBED),
    "stage": _DESCRIBED | {"seq": "int", "leading_type": "text_or_null", "work_place": "text",
                           "prior": "map", "staffing?": "map"},
    "prior": {"weight": "number", "reason_ja": "text", "reason_en": "text"},
    "field": _OPTIONALLY_DESCRIBED | {"priority": "bool"},
    "label": dict(_OPTIONALLY_DESCRIBED),
}
FILES: dict[str, dict[str, str]] = {  # file -> its top-level keys
    "skills.yaml": {"categories": "list"},
    "levels.yaml": {"levels": "list"},
    "roles.yaml": {"people_types": "list", "roles": "list"},
    "literacy.yaml": {"areas": "list"},
    "stages.yaml": {"stages": "list"},
    "fields.yaml": {"fields": "list"},
    "enums.yaml": dict.fromkeys(ENUM_IDS, "list"),
}


def _kwargs(raw: dict, spec: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    """Pick the spec's keys from a checked entry (lists become tuples, `type` becomes type_id).

    `extra` adds or replaces values (nested lists are passed in already built).
    """
    kwargs = {}
    for key in spec:
        name = key.rstrip("?")
        if name in raw:
            value = raw[name]
            kwargs["type_id" if name == "type" else name] = tuple(value) if isinstance(value, list) else value
    return kwargs | extra


class _File:
    """The problems of one data file, and checked reading of its entries."""

    def __init__(self, name: str, problems: list[str]):
        self.name = name
        self.problems = problems

    def problem(self, entry: str, text: str) -> None:
        self.problems.append(f"{self.name}: {entry}: {text}")

    def check(self, entry: str, raw: dict, spec: Mapping[str, str]) -> bool:
        """Report unknown, missing and wrongly typed keys; tell whether the entry can be built."""
        ok = True
        names = {key.rstrip("?") for key in spec}
        for key in raw.keys() - names:
            self.problem(entry, f"unknown key {key!r}")
        for key, kind in spec.items():
            name = key.rstrip("?")
            if name not in raw:
                if not key.endswith("?"):
                    self.problem(entry, f"missing key {name!r}")
                    ok = False
                continue
            test, expected = _KINDS[kind]
            if not test(raw[name]):
                self.problem(f"{entry}.{name}", f"expected {expected}, got {raw[name]!r}")
                ok = False
        return ok

    def entries(self, path: str, data: list, spec: Mapping[str, str],
                seen: dict[str, str] | None = None) -> list[tuple[str, dict, bool]]:
        """Check a list of mappings; return (id or path, entry, buildable) for each mapping.

        Ids must be unique within `seen` (one list unless a shared dict is passed).
        """
        seen = {} if seen is None else seen
        result = []
        for index, raw in enumerate(data):
            entry = f"{path}[{index}]"
            if not isinstance(raw, dict):
                self.problem(entry, f"expected a mapping, got {raw!r}")
                continue
            if _text(raw.get("id")):
                if raw["id"] in seen:
                    self.problem(raw["id"], f"duplicate id (first at {seen[raw['id']]})")
                    result.append((raw["id"], raw, False))
                    continue
                seen[raw["id"]] = entry
                entry = raw["id"]
            result.append((entry, raw, self.check(entry, raw, spec)))
        return result

    def count(self, what: str, found: int) -> None:
        if found != EXPECTED_COUNTS[what]:
            self.problem(what, f"expected {EXPECTED_COUNTS[what]} {what.replace('_', ' ')}, found {found}")

    def seq(self, what: str, seqs: list[tuple[str, int]]) -> None:
        """Require the (entry, seq) pairs to number the entries 1..n, each number once."""
        owner: dict[int, str] = {}
        for entry, seq in seqs:
            if seq in owner:
                self.problem(f"{entry}.seq", f"seq {seq} is also used by {owner[seq]}")
            owner.setdefault(seq, entry)
        missing = sorted(set(range(1, len(seqs) + 1)) - owner.keys())
        if len(owner) == len(seqs) and missing:
            beyond = sorted(owner.keys() - set(range(1, len(seqs) + 1)))
            self.problem(what, f"seq must number the {what} 1..{len(seqs)}: missing {missing}, found {beyond}")


def _list(raw: dict, key: str) -> list:
    """The entry's nested list, or [] when it is missing or not a list (already reported)."""
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _read(data_dir: Path, file: _File, top: Mapping[str, str]) -> dict | None:
    """Parse one YAML file; return it when its top-level keys are usable."""
    try:
        data = yaml.load((data_dir / file.name).read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        file.problem("(file)", f"not found in {data_dir}")
        return None
    except UnicodeDecodeError as exc:
        file.problem("(file)", f"not UTF-8 ({exc.reason} at byte {exc.start})")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        file.problem(where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}")
        return None
    if not isinstance(data, dict):
        file.problem("(top level)", f"expected a mapping with keys {', '.join(top)}")
        return None
    return data if file.check("(top level)", data, top) else None


def _skills(data: dict, file: _File) -> tuple[list[Category], set[str]]:
    """Build the categories; also return every item id seen, for checking references."""
    item_seen: dict[str, str] = {}
    sub_seen: dict[str, str] = {}
    seqs: list[tuple[str, int]] = []
    categories = []
    n_subs = n_items = 0
    for cat_id, cat, cat_ok in file.entries("categories", data["categories"], SPECS["category"]):
        subs = []
        for sub_id, sub, sub_ok in file.entries(f"{cat_id}.subcategories", _list(cat, "subcategories"),
                                                SPECS["subcategory"], sub_seen):
            n_subs += 1
            items = []
            for item_id, item, item_ok in file.entries(f"{sub_id}.items", _list(sub, "items"),
                                                       SPECS["item"], item_seen):
                n_items += 1
                if isinstance(item.get("seq"), int):
                    seqs.append((item_id, item["seq"]))
                if item_ok:
                    items.append(SkillItem(**_kwargs(item, SPECS["item"], category_id=cat_id,
                                                     subcategory_id=sub_id)))
            if sub_ok:
                subs.append(Subcategory(**_kwargs(sub, SPECS["subcategory"], category_id=cat_id,
                                                  items=tuple(items))))
        if cat_ok:
            categories.append(Category(**_kwargs(cat, SPECS["category"], subcategories=tuple(subs))))
    file.count("categories", len(data["categories"]))
    file.count("subcategories", n_subs)
    file.count("items", n_items)
    file.seq("items", seqs)
    return categories, set(item_seen)


def _levels(data: dict, file: _File) -> list[Level]:
    levels = []
    for index, raw in enumerate(data["levels"]):
        entry = f"levels[{index}]"
        if not isinstance(raw, dict):
            file.problem(entry, f"expected a mapping, got {raw!r}")
        elif file.check(entry, raw, SPECS["level"]):
            kwargs = _kwargs(raw, SPECS["level"])
            levels.append(Level(value=kwargs.pop("level"), **kwargs))
    found = [level.value for level in levels]
    if len(levels) == len(data["levels"]) and tuple(found) != LEVELS:
        file.problem("levels", f"expected levels {list(LEVELS)} in this order, found {found}")
    return levels


def _roles(data: dict, file: _File) -> tuple[dict, dict]:
    type_entries = file.entries("people_types", data["people_types"], SPECS["people_type"])
    type_ids = {type_id for type_id, _, _ in type_entries}
    roles = {}
    for role_id, raw, ok in file.entries("roles", data["roles"], SPECS["role"]):
        if _text(raw.get("type")) and raw["type"] not in type_ids:
            file.problem(f"{role_id}.type", f"unknown people type {raw['type']!r}")
            ok = False
        if _text(raw.get("xd_hint")) and raw["xd_hint"] not in TALENT_TYPES:
            file.problem(f"{role_id}.xd_hint", f"expected one of {', '.join(TALENT_TYPES)}, got {raw['xd_hint']!r}")
            ok = False
        if ok:
            roles[role_id] = Role(**_kwargs(raw, SPECS["role"]))
    people_types = {
        type_id: PeopleType(**_kwargs(raw, SPECS["people_type"], role_ids=tuple(
            role.id for role in roles.values() if role.type_id == type_id)))
        for type_id, raw, ok in type_entries if ok}
    file.count("people_types", len(data["people_types"]))
    file.count("roles", len(data["roles"]))
    return people_types, roles


def _literacy(data: dict, file: _File) -> dict[str, LiteracyArea]:
    areas, item_seen = {}, {}
    for area_id, area, area_ok in file.entries("areas", data["areas"], SPECS["literacy_area"]):
        items = tuple(
            LiteracyItem(**_kwargs(raw, SPECS["literacy_item"], area_id=area_id))
            for _, raw, ok in file.entries(f"{area_id}.items", _list(area, "items"),
                                           SPECS["literacy_item"], item_seen)
            if ok)
        if area_ok:
            areas[area_id] = LiteracyArea(**_kwargs(area, SPECS["literacy_area"], items=items))
    file.count("literacy_areas", len(data["areas"]))
    file.count("literacy_items", sum(len(_list(area, "items")) for area in data["areas"]
                                     if isinstance(area, dict)))
    return areas


def _prior(file: _File, stage_id: str, raw: dict, item_ids: set[str] | None,
           what: str = "skill item") -> dict[str, Prior] | None:
    """Build a stage's prior, or None when any of its entries is broken."""
    prior: dict[str, Prior] = {}
    path = stage_id if what != "skill item" else f"{stage_id}.prior"
    if not raw:
        file.problem(path, "is empty")
    for item_id, value in raw.items():
        entry = f"{path}.{item_id}"
        if item_ids is not None and item_id not in item_ids:
            file.problem(entry, f"unknown {what}")
        if not isinstance(value, dict):
            file.problem(entry, f"expected a mapping with weight, reason_ja, reason_en, got {value!r}")
        elif file.check(entry, value, SPECS["prior"]):
            if 0.0 <= value["weight"] <= 1.0:
                prior[item_id] = Prior(item_id=str(item_id), weight=float(value["weight"]),
                                       reason_ja=value["reason_ja"], reason_en=value["reason_en"])
            else:
                file.problem(f"{entry}.weight", f"must be within [0, 1], got {value['weight']}")
    return prior if len(prior) == len(raw) else None


def _staffing(file: _File, stage_id: str, raw: dict) -> dict[str, Prior] | None:
    """Build a stage's staffing rules (rule id -> weight in [0, 1] and reason), or None when one is broken."""
    rules = _prior(file, f"{stage_id}.staffing", raw, set(STAFFING_RULES), what="staffing rule")
    return rules


def _stages(data: dict, file: _File, item_ids: set[str] | None) -> dict[str, Stage]:
    stages, seqs = [], []
    for stage_id, raw, ok in file.entries("stages", data["stages"], SPECS["stage"]):
        if isinstance(raw.get("seq"), int):
            seqs.append((stage_id, raw["seq"]))
        if _text(raw.get("leading_type")) and raw["leading_type"] not in ("X", "D"):
            file.problem(f"{stage_id}.leading_type", f"expected X, D or null, got {raw['leading_type']!r}")
            ok = False
        if _text(raw.get("work_place")) and raw["work_place"] not in WORK_PLACES:
            file.problem(f"{stage_id}.work_place",
                         f"expected one of {', '.join(WORK_PLACES)}, got {raw['work_place']!r}")
            ok = False
        prior = _prior(file, stage_id, raw["prior"], item_ids) if isinstance(raw.get("prior"), dict) else None
        staffing = _staffing(file, stage_id, raw["staffing"]) if isinstance(raw.get("staffing"), dict) else {}
        if ok and prior is not None and staffing is not None:
            stages.append(Stage(**_kwargs(raw, SPECS["stage"], prior=MappingProxyType(prior),
                                          staffing=MappingProxyType(staffing))))
    file.count("stages", len(data["stages"]))
    file.seq("stages", seqs)
    return {stage.id: stage for stage in sorted(stages, key=lambda stage: stage.seq)}


def _fields(data: dict, file: _File) -> dict[str, Field]:
    return {field_id: Field(**_kwargs(raw, SPECS["field"]))
            for field_id, raw, ok in file.entries("fields", data["fields"], SPECS["field"]) if ok}


def _enums(data: dict, file: _File) -> dict[str, Mapping[str, Label]]:
    enums = {}
    for name, expected in ENUM_IDS.items():
        entries = file.entries(name, data[name], SPECS["label"])
        found = [entry for entry, raw, _ in entries if entry == raw.get("id")]
        if set(found) != set(expected):
            file.problem(name, f"expected the ids {', '.join(expected)}, found {', '.join(found) or 'none'}")
        enums[name] = MappingProxyType({entry: Label(**_kwargs(raw, SPECS["label"]))
                                        for entry, raw, ok in entries if ok})
    return enums


def load_from(data_dir: Path) -> Taxonomy:
    """Read every data file in `data_dir`; raise TaxonomyError listing all problems found."""
    problems: list[str] = []
    files = {name: _File(name, problems) for name in FILES}
    raw = {name: _read(data_dir, files[name], top) for name, top in FILES.items()}

    def build(name: str, builder: Callable, *args: Any) -> Any:
        return builder(raw[name], files[name], *args) if raw[name] is not None else None

    categories, item_ids = build("skills.yaml", _skills) or ([], None)
    levels = build("levels.yaml", _levels)
    people_types, roles = build("roles.yaml", _roles) or ({}, {})
    literacy_areas = build("literacy.yaml", _literacy)
    stages = build("stages.yaml", _stages, item_ids)
    fields = build("fields.yaml", _fields)
    enums = build("enums.yaml", _enums)
    if problems:
        raise TaxonomyError(data_dir, problems)

    items = sorted((item for category in categories for item in category.items), key=lambda item: item.seq)
    ids = tuple(item.id for item in items)
    return Taxonomy(
        categories=tuple(categories),
        items=MappingProxyType({item.id: item for item in items}),
        item_ids=ids,
        item_index=MappingProxyType({item_id: index for index, item_id in enumerate(ids)}),
        levels=tuple(levels),
        people_types=MappingProxyType(people_types),
        roles=MappingProxyType(roles),
        stages=MappingProxyType(stages),
        fields=MappingProxyType(fields),
        literacy_areas=MappingProxyType(literacy_areas),
        enums=MappingProxyType(enums),
    )
