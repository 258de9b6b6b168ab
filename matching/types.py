"""Plain, frozen data passed between the hub and the matcher.

The hub turns database rows into these; the matcher never sees an ORM object. Everything that
leaves the matcher (`Match`, `Explanation`, `RankResult`) is codes and numbers, never UI text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Mapping

import numpy as np

TalentType = Literal["X", "D", "XD"]
WorkStyle = Literal["remote", "hybrid", "onsite", "resident"]
FeeUnit = Literal["hour", "day", "month"]

STAGES: tuple[str, ...] = (
    "awareness", "problem_identification", "business_model", "product_planning",
    "development", "operations", "ux_operations", "adoption",
)
SIGNALS: tuple[str, ...] = ("skill", "semantic", "availability", "place", "record", "fee", "type")


@dataclass(frozen=True)
class Commitment:
    """An engagement that consumes the expert's hours while it runs (end None = open-ended)."""

    start: date
    end: date | None
    hours_per_month: float
    organization: str = ""


@dataclass(frozen=True)
class Rating:
    """One evaluation after an engagement: overall 1-5 and would-rehire (None = not answered)."""

    overall: float
    would_rehire: bool | None = None


@dataclass(frozen=True)
class ExpertRecord:
    """One expert as the matcher sees it.

    `max_travel_km` None means the expert stated no distance; the matcher then assumes
    `features.DEFAULT_REACH_KM`. `travel_prefectures` (two-digit JIS codes) are reachable in full.
    """

    id: int
    external_id: str
    talent_type: TalentType
    skills: Mapping[str, int]
    verified_skills: Mapping[str, float] = field(default_factory=dict)
    inferred_skills: Mapping[str, float] = field(default_factory=dict)  # read from the text (profile_skills)
    lat: float | None = None
    lng: float | None = None
    prefecture_code: str | None = None
    remote: bool = True
    onsite: bool = False
    resident: bool = False
    max_travel_km: float | None = None
    travel_prefectures: frozenset[str] = frozenset()
    hours_per_month: float = 0.0
    commitments: tuple[Commitment, ...] = ()
    available_from: date | None = None
    available_until: date | None = None
    fee_unit: FeeUnit | None = None
    fee_amount: float | None = None
    schemes: frozenset[str] = frozenset()
    listed: bool = True
    active: bool = True
    ratings: tuple[Rating, ...] = ()
    completed_stage_counts: Mapping[str, int] = field(default_factory=dict)
    completed_field_counts: Mapping[str, int] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()
    stages_led: frozenset[str] = frozenset()
    open_contact_requests: int = 0
    availability_stale: bool = False


@dataclass(frozen=True)
class Site:
    """Another place a shared need's work happens (共同任用: each co-organization's site)."""

    lat: float | None
    lng: float | None
    prefecture_code: str | None = None


@dataclass(frozen=True, eq=False)
class NeedQuery:
    """A need as the matcher sees it.

    `required` are must-haves (item -> minimum level), `nice_to_have` lower-weight wishes.
    `skill_weights` optionally overrides the weight of an explicit item. `talent_type` None means
    "derive from the stages". `weights` overrides signal weights for this need only.
    `text_vector` is the stored embedding of title + description (kind="query"), or None.
    `other_sites` are the co-organizations' sites of a shared need: on-site work must reach every site
    (`lat`/`lng` is the lead organization's); remote work ignores them.
    """

    required: Mapping[str, int] = field(default_factory=dict)
    nice_to_have: Mapping[str, int] = field(default_factory=dict)
    skill_weights: Mapping[str, float] | None = None
    stages: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    talent_type: TalentType | None = None
    work_style: WorkStyle = "remote"
    lat: float | None = None
    lng: float | None = None
    prefecture_code: str | None = None
    hours_per_month: float = 20.0
    start: date = date(2026, 4, 1)
    end: date | None = None
    budget_unit: FeeUnit | None = None
    budget_max: float | None = None
    schemes: frozenset[str] | None = None
    text_vector: np.ndarray | None = None
    weights: Mapping[str, float] | None = None
    other_sites: tuple[Site, ...] = ()


@dataclass(frozen=True)
class Filters:
    """Optional user filters; what they exclude is counted apart from the hard filters.

    `fee_within_budget` keeps experts whose fee is unknown (unknown is not over budget).
    """

    prefectures: frozenset[str] | None = None
    min_remaining_hours: float | None = None
    fee_within_budget: bool = False
    schemes: frozenset[str] | None = None


@dataclass(frozen=True)
class InferredSkill:
    """A skill item suggested from the need's text, with its cosine similarity."""

    item_id: str
    similarity: float


def _num(value: float | None, digits: int = 4) -> float | None:
    """Round for JSON; NaN and infinities become None so the dict stays JSON-safe."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, digits)


@dataclass(frozen=True)
class Explanation:
    """Why an expert got their score: codes and numbers the hub translates.

    `gaps` are exactly the items whose shortfall lowered the skill signal: (item, level, required level,
    must-have, source) with source "required", "nice_to_have", "inferred" (read from the need's text) or
    "stage" (usual for the need's stages).
    `fee_status` is "within", "over" or "unknown"; `work_style` holds codes such as
    "remote_ok", "onsite_within_reach", "resident_ok", "remote_only_for_hybrid".
    """

    matched_skills: tuple[tuple[str, int, int], ...]
    gaps: tuple[tuple[str, int, int, bool, str], ...]
    remaining_hours: float
    needed_hours: float
    concurrent_commitments: int
    work_style: tuple[str, ...]
    distance_km: float | None
    rating_mean: float | None
    rating_count: int
    rating_smoothed: float
    would_rehire_rate: float | None
    completed_in_stages: int
    completed_in_fields: int
    fee_per_hour: float | None
    budget_per_hour: float | None
    fee_status: str
    type_match: str
    availability_stale: bool
    open_contact_requests: int
    # Staffing rules of the need's stages that moved this score (stage data, `skill_taxonomy` staffing):
    # (code, value) with code "field_breadth" (value: distinct fields), "resident_nearby" (value: km) or
    # "remote_friendly" (value: share of the place weight set aside).
    rules: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Explanation":
        """Rebuild an explanation stored with `to_dict` (e.g. on a shortlist entry), to show it again."""
        rating, fee = data.get("rating") or {}, data.get("fee") or {}
        return cls(
            matched_skills=tuple((m["item"], m["level"], m["required"]) for m in data.get("matched_skills", ())),
            gaps=tuple((g["item"], g["level"], g["required"], g["must"], g.get("source", ""))
                       for g in data.get("gaps", ())),
            remaining_hours=data.get("remaining_hours") or 0.0, needed_hours=data.get("needed_hours") or 0.0,
            concurrent_commitments=data.get("concurrent_commitments", 0),
            work_style=tuple(data.get("work_style", ())), distance_km=data.get("distance_km"),
            rating_mean=rating.get("mean"), rating_count=rating.get("count", 0),
            rating_smoothed=rating.get("smoothed") or 0.0, would_rehire_rate=rating.get("would_rehire_rate"),
            completed_in_stages=data.get("completed_in_stages", 0),
            completed_in_fields=data.get("completed_in_fields", 0),
            fee_per_hour=fee.get("per_hour"), budget_per_hour=fee.get("budget_per_hour"),
            fee_status=fee.get("status", "unknown"), type_match=data.get("type_match", ""),
            availability_stale=data.get("availability_stale", False),
            open_contact_requests=data.get("open_contact_requests", 0),
            rules=tuple((r["rule"], r.get("value") or 0.0) for r in data.get("rules", ())))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (lists, not tuples; None for unknown numbers)."""
        return {
            "matched_skills": [{"item": i, "level": lv, "required": rq} for i, lv, rq in self.matched_skills],
            "gaps": [{"item": i, "level": lv, "required": rq, "must": m, "source": src}
                     for i, lv, rq, m, src in self.gaps],
            "remaining_hours": _num(self.remaining_hours, 1),
            "needed_hours": _num(self.needed_hours, 1),
            "concurrent_commitments": self.concurrent_commitments,
            "work_style": list(self.work_style),
            "distance_km": _num(self.distance_km, 1),
            "rating": {"mean": _num(self.rating_mean, 2), "count": self.rating_count,
                       "smoothed": _num(self.rating_smoothed, 2),
                       "would_rehire_rate": _num(self.would_rehire_rate, 2)},
            "completed_in_stages": self.completed_in_stages,
            "completed_in_fields": self.completed_in_fields,
            "fee": {"per_hour": _num(self.fee_per_hour, 0), "budget_per_hour": _num(self.budget_per_hour, 0),
                    "status": self.fee_status},
            "type_match": self.type_match,
            "availability_stale": self.availability_stale,
            "open_contact_requests": self.open_contact_requests,
            "rules": [{"rule": code, "value": _num(value, 1)} for code, value in self.rules],
        }


@dataclass(frozen=True)
class Match:
    """One ranked expert: score, every signal, and the explanation."""

    expert_id: int
    external_id: str
    score: float
    signals: dict[str, float]
    explanation: Explanation

    def as_dict(self) -> dict[str, Any]:
        """Return the shape of `flask --app app match --json` (DESIGN.md)."""
        return {"external_id": self.external_id, "score": round(float(self.score), 4),
                "signals": {k: round(float(v), 4) for k, v in self.signals.items()},
                "explanation": self.explanation.to_dict()}


@dataclass(frozen=True)
class RankResult:
    """The answer of one ranking, with everything needed to show later why A came before B.

    `excluded` counts hard-filter exclusions by reason, `filtered` the user filters' exclusions;
    `considered` is the number of live experts looked at. `weights` are the weights actually used
    (semantic dropped and the rest renormalised when the need has no text vector).
    """

    matches: tuple[Match, ...]
    excluded: dict[str, int]
    filtered: dict[str, int]
    considered: int
    weights: dict[str, float]
    weights_version: str
    index_version: str
    inferred: tuple[InferredSkill, ...] = ()

    def as_dicts(self) -> list[dict[str, Any]]:
        """Return the `match --json` array, best first."""
        return [m.as_dict() for m in self.matches]
