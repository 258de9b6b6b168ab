"""Frozen dataclasses for the DSS taxonomy and the hub's fixed vocabularies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Ids the code relies on; enums.yaml gives each its ja/en label and must list exactly these.
TALENT_TYPES = ("X", "D", "XD")
SCHEMES = ("external_list", "adviser")
WORK_STYLES = ("remote", "hybrid", "onsite", "resident")
ENGAGEMENT_FORMS = ("appointment", "contract", "side_job", "adviser_dispatch")
FEE_UNITS = ("hour", "day", "month")
ORGANIZATION_KINDS = ("municipality", "prefecture", "bureau", "npo", "university", "chamber", "business")
WORK_PLACES = ("local", "remote_ok", "resident")  # where a stage's work usually happens
# The seed's staffing rules a stage may carry (data/stages.yaml `staffing`; the matcher's features read them).
STAFFING_RULES = ("field_breadth", "resident_nearby", "remote_friendly")
# Adviser dispatch (docs/state-changes.md); the rules of the scheme are data in data/dispatch_rules.yaml.
DISPATCH_PURPOSES = ("seminar", "project_formation", "follow_up")
DISPATCH_STATES = ("submitted", "under_review", "approved", "assigned", "scheduled", "done", "reported",
                   "followed_up", "rejected", "cancelled")
ENUM_IDS: Mapping[str, tuple[str, ...]] = {
    "talent_types": TALENT_TYPES,
    "schemes": SCHEMES,
    "work_styles": WORK_STYLES,
    "engagement_forms": ENGAGEMENT_FORMS,
    "fee_units": FEE_UNITS,
    "organization_kinds": ORGANIZATION_KINDS,
    "work_places": WORK_PLACES,
    "dispatch_purposes": DISPATCH_PURPOSES,
    "dispatch_states": DISPATCH_STATES,
}
LEVELS = (0, 1, 2, 3, 4)


def is_english(locale: object) -> bool:
    """Tell whether `locale` (a string such as "en_US" or a Babel Locale) asks for English."""
    return str(locale or "ja").lower().startswith("en")


def _pick(ja: str, en: str, locale: object) -> str:
    """Return the text for `locale`, falling back to the other language when it is empty."""
    return (en or ja) if is_english(locale) else (ja or en)


class Named:
    """Mixin for objects with name_ja/name_en and description_ja/description_en fields."""

    __slots__ = ()
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str

    def name(self, locale: object = "ja") -> str:
        """Return the name in `locale` (Japanese unless it starts with "en")."""
        return _pick(self.name_ja, self.name_en, locale)

    def description(self, locale: object = "ja") -> str:
        """Return the description in `locale` (Japanese unless it starts with "en")."""
        return _pick(self.description_ja, self.description_en, locale)


@dataclass(frozen=True)
class Label(Named):
    """One value of a fixed vocabulary (talent type, work style, fee unit, ...)."""

    id: str
    name_ja: str
    name_en: str
    description_ja: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class SkillItem(Named):
    """One of the 49 DSS-P common skill items; `seq` is its 1-based place in the list."""

    id: str
    seq: int
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    keywords_ja: tuple[str, ...]
    keywords_en: tuple[str, ...]
    category_id: str
    subcategory_id: str


@dataclass(frozen=True)
class Subcategory(Named):
    id: str
    name_ja: str
    name_en: str
    category_id: str
    items: tuple[SkillItem, ...]
    description_ja: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class Category(Named):
    id: str
    name_ja: str
    name_en: str
    subcategories: tuple[Subcategory, ...]
    description_ja: str = ""
    description_en: str = ""

    @property
    def items(self) -> tuple[SkillItem, ...]:
        return tuple(item for sub in self.subcategories for item in sub.items)


@dataclass(frozen=True)
class Level(Named):
    """A self-assessment level, 0 (no experience) to 4 (leads others)."""

    value: int
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str

    @property
    def id(self) -> int:
        return self.value


@dataclass(frozen=True)
class PeopleType(Named):
    """A DSS-P people type (人材類型); `role_ids` are its roles in file order."""

    id: str
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    role_ids: tuple[str, ...]


@dataclass(frozen=True)
class Role(Named):
    """A DSS-P role; `xd_hint` is the hub's unofficial X/D/XD guess for pre-filling a profile."""

    id: str
    type_id: str
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    xd_hint: str


@dataclass(frozen=True)
class Prior:
    """How much a skill item usually matters in a stage, and why."""

    item_id: str
    weight: float
    reason_ja: str
    reason_en: str

    def reason(self, locale: object = "ja") -> str:
        return _pick(self.reason_ja, self.reason_en, locale)


@dataclass(frozen=True)
class Stage(Named):
    """A stage of a regional DX project; `leading_type` is "X", "D" or None (residents lead)."""

    id: str
    seq: int
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    leading_type: str | None
    work_place: str
    prior: Mapping[str, Prior] = field(hash=False)  # a read-only dict view cannot be hashed
    staffing: Mapping[str, Prior] = field(default_factory=dict, hash=False)  # rule id -> weight and reason


@dataclass(frozen=True)
class Field(Named):
    """A focus field (重点分野); `priority` marks the fields named for support."""

    id: str
    name_ja: str
    name_en: str
    priority: bool
    description_ja: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class LiteracyItem(Named):
    id: str
    area_id: str
    name_ja: str
    name_en: str
    description_ja: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class LiteracyArea(Named):
    """A DSS-L (DX literacy) area with its items."""

    id: str
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    items: tuple[LiteracyItem, ...]


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Everything the hub knows about skills, roles, stages, fields and fixed vocabularies.

    Mappings are read-only views in file order (`items` and `stages` in seq order); the
    position of an item in `item_ids` is its axis in every skill vector.
    """

    categories: tuple[Category, ...]
    items: Mapping[str, SkillItem]
    item_ids: tuple[str, ...]
    item_index: Mapping[str, int]
    levels: tuple[Level, ...]
    people_types: Mapping[str, PeopleType]
    roles: Mapping[str, Role]
    stages: Mapping[str, Stage]
    fields: Mapping[str, Field]
    literacy_areas: Mapping[str, LiteracyArea]
    enums: Mapping[str, Mapping[str, Label]]

    def _stages(self, stage_ids: Iterable[str]) -> list[Stage]:
        if isinstance(stage_ids, str):  # a lone id would otherwise be read letter by letter
            stage_ids = (stage_ids,)
        try:
            return [self.stages[stage_id] for stage_id in stage_ids]
        except KeyError as exc:
            raise KeyError(f"unknown stage id: {exc.args[0]!r}") from None

    def stage_prior(self, stage_ids: Iterable[str]) -> dict[str, float]:
        """Return item id -> the highest prior weight over the given stages, in seq order."""
        best: dict[str, float] = {}
        for stage in self._stages(stage_ids):
            for item_id, prior in stage.prior.items():
                best[item_id] = max(best.get(item_id, 0.0), prior.weight)
        return {item_id: best[item_id] for item_id in self.item_ids if item_id in best}

    def leading_type(self, stage_ids: Iterable[str]) -> str | None:
        """Return "X" or "D" when the given stages agree, "XD" when they differ, None when none leads."""
        types = {stage.leading_type for stage in self._stages(stage_ids)} - {None}
        if not types:
            return None
        return types.pop() if len(types) == 1 else "XD"

    def skill_text(self, item_id: str, lang: object = "ja") -> str:
        """Return the item's name, description and keywords in one string for text matching."""
        item = self.items[item_id]
        keywords = item.keywords_en if is_english(lang) else item.keywords_ja
        separator = ", " if is_english(lang) else "、"
        return f"{item.name(lang)}: {item.description(lang)} ({separator.join(keywords)})"

    def choices(self, kind: str = "items", locale: object = "ja") -> list[tuple[str | int, str]]:
        """Return (id, label) pairs for a form field, in display order.

        `kind` is one of "categories", "items", "levels" (ids are the ints 0-4), "people_types",
        "roles", "stages", "fields", "literacy_areas", or an enum name (see `ENUM_IDS`).
        """
        sources: dict[str, Iterable[Named]] = {
            "categories": self.categories,
            "items": self.items.values(),
            "levels": self.levels,
            "people_types": self.people_types.values(),
            "roles": self.roles.values(),
            "stages": self.stages.values(),
            "fields": self.fields.values(),
            "literacy_areas": self.literacy_areas.values(),
            **{name: labels.values() for name, labels in self.enums.items()},
        }
        if kind not in sources:
            raise ValueError(f"unknown choice kind {kind!r}; expected one of {', '.join(sources)}")
        return [(entry.id, entry.name(locale)) for entry in sources[kind]]
