"""What a candidate card says beyond the matcher's numbers: what the person drove and did, for this need.

"Drove" is the expert's own word (the fields they work in, the stages they led), those the need asks first;
"did" is their most relevant past role: the completed or running engagement sharing most stages and fields
with the need (then the newest), in one line of role and contribution.
"""
from __future__ import annotations

from dataclasses import dataclass

from hub.models import Engagement, ExpertProfile, Need

CONTRIBUTION_CHARS = 90  # the card's one line; the profile has the whole text


@dataclass(frozen=True)
class PastRole:
    title: str
    organization: str
    role: str
    contribution: str
    year: int
    shared: int  # stages and fields shared with the need


@dataclass(frozen=True)
class CardFacts:
    fields: list[tuple[str, bool]]  # (name, asked by the need), asked first
    stages: list[tuple[str, bool]]
    past_role: PastRole | None


def _named(ids: list[str], asked: set[str], names: dict) -> list[tuple[str, bool]]:
    ordered = sorted(dict.fromkeys(ids), key=lambda i: (i not in asked, ids.index(i)))
    return [(names.get(i, i), i in asked) for i in ordered]


def most_relevant_role(expert: ExpertProfile, need: Need) -> Engagement | None:
    """The engagement of the record that says most about this need (None without a record)."""
    asked_stages, asked_fields = set(need.stage_ids), set(need.field_ids)
    record = [e for e in expert.engagements if e.status in ("active", "completed") and (e.role or e.contribution)]
    if not record:
        return None
    return max(record, key=lambda e: (len(asked_stages & set(e.stage_ids)) + len(asked_fields & set(e.field_ids)),
                                      e.status == "completed", e.start_date, e.id))


def card_facts(expert: ExpertProfile, need: Need, taxonomy, lang: str) -> CardFacts:
    fields = {k: v.name(lang) for k, v in taxonomy.fields.items()}
    stages = {k: v.name(lang) for k, v in taxonomy.stages.items()}
    best = most_relevant_role(expert, need)
    past = None
    if best is not None:
        contribution = " ".join((best.contribution or "").split())
        if len(contribution) > CONTRIBUTION_CHARS:
            contribution = contribution[:CONTRIBUTION_CHARS - 1] + "…"
        shared = len(set(need.stage_ids) & set(best.stage_ids)) + len(set(need.field_ids) & set(best.field_ids))
        past = PastRole(title=best.title, organization=best.organization.name if best.organization else "",
                        role=best.role or "", contribution=contribution, year=best.start_date.year, shared=shared)
    return CardFacts(fields=_named(expert.field_ids, set(need.field_ids), fields),
                     stages=_named(expert.stage_ids, set(need.stage_ids), stages), past_role=past)
