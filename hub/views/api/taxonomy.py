"""The vocabularies every body uses: skills, roles, stages, fields, levels and the fixed enumerations."""
from __future__ import annotations

from flask import current_app

from hub.views.api.base import bp, doc_errors, signed_in
from hub.views.api.schemas import TaxonomyOut
from skill_taxonomy.model import ENUM_IDS


def _terms(taxonomy, kind: str) -> list[dict]:
    ja, en = taxonomy.choices(kind, "ja"), taxonomy.choices(kind, "en")
    return [{"id": key, "ja": name_ja, "en": name_en} for (key, name_ja), (_k, name_en) in zip(ja, en)]


@bp.route("/taxonomy", methods=["GET"])
@bp.response(200, TaxonomyOut)
@doc_errors()
def get_taxonomy():
    """Skill items (with their DSS category), roles, stages, fields, levels and enumerations, in Japanese and English."""
    signed_in()
    taxonomy = current_app.extensions["hub.taxonomy"]
    skills = [{"id": item.id, "category": category.id, "ja": item.name("ja"), "en": item.name("en")}
              for category in taxonomy.categories for item in category.items]
    return {"skills": skills, "roles": _terms(taxonomy, "roles"), "stages": _terms(taxonomy, "stages"),
            "fields": _terms(taxonomy, "fields"), "levels": _terms(taxonomy, "levels"),
            "vocabularies": {kind: _terms(taxonomy, kind) for kind in ENUM_IDS}}
