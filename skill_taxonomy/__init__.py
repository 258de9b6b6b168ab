"""The DSS skill taxonomy and the hub's fixed vocabularies, read from YAML into frozen dataclasses.

    taxonomy = skill_taxonomy.load()
    taxonomy.item_ids                      # axis order of skill vectors (49 DSS-P items)
    taxonomy.stage_prior(["development"])  # item id -> weight in [0, 1]
    taxonomy.choices("roles", "en")        # [(id, label), ...] for a form field

No Flask, no database: the web app builds one Taxonomy at start-up and shares it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .rules import Rules, RulesError, load_rules
from .loader import DATA_DIR, EXPECTED_COUNTS, TaxonomyError, load_from
from .model import (
    DISPATCH_PURPOSES,
    DISPATCH_STATES,
    ENGAGEMENT_FORMS,
    ENUM_IDS,
    FEE_UNITS,
    LEVELS,
    ORGANIZATION_KINDS,
    SCHEMES,
    STAFFING_RULES,
    TALENT_TYPES,
    WORK_PLACES,
    WORK_STYLES,
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
    is_english,
)

__all__ = [
    "load", "load_rules", "Rules", "RulesError", "TaxonomyError", "Taxonomy", "DATA_DIR", "EXPECTED_COUNTS",
    "Category", "Subcategory", "SkillItem", "Level", "PeopleType", "Role", "Stage", "Prior",
    "Field", "LiteracyArea", "LiteracyItem", "Label", "is_english",
    "TALENT_TYPES", "SCHEMES", "WORK_STYLES", "ENGAGEMENT_FORMS", "FEE_UNITS",
    "ORGANIZATION_KINDS", "WORK_PLACES", "STAFFING_RULES", "DISPATCH_PURPOSES", "DISPATCH_STATES", "ENUM_IDS", "LEVELS",
]


def load(data_dir: Path | str | None = None) -> Taxonomy:
    """Return the taxonomy of `data_dir`, or the shipped one (read once, then cached).

    Raise TaxonomyError naming every broken file, entry and problem.
    """
    if data_dir is None:
        return _load_shipped()
    return load_from(Path(data_dir))


@lru_cache(maxsize=1)
def _load_shipped() -> Taxonomy:
    return load_from(DATA_DIR)
