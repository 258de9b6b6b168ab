"""Skill suggestions for the need form: only the few items the need's own text supports.

The form used to add every prior item of every chosen stage plus the top text matches (a childcare
app with two stages got 14 rows, 機械学習 among them). A suggestion now needs support: what a
stage is about (its headline items), its core items (prior weight >= CORE_PRIOR) that the text does not contradict, a stage's other items only
when the text leans towards them, and items the text alone points to only when they stand out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .vectors import SkillSpace

MAX_SUGGESTIONS = 6
HEADLINE_PRIOR = 0.9  # what a stage is about (事業設計 in ビジネスモデル企画): always suggested
CORE_PRIOR = 0.8     # a stage's core items: suggested unless the text points away from them
CORE_MIN_Z = 0.0     # "does not contradict": at least as similar to the text as the average item
PRIOR_MIN_Z = 1.0    # a stage's minor items: only when the text leans towards them
TEXT_MIN_Z = 2.0     # items from the text alone: must stand out (as `infer_skills`)
TEXT_WEIGHT = 0.2    # ordering: one standard deviation of text support is worth 0.2 of prior weight


@dataclass(frozen=True)
class Suggestion:
    """One suggested item: the prior weight of its stages (0 when none), the text's z-score, and why."""

    item_id: str
    prior: float
    text_z: float | None
    origin: str  # "stage", "text" or "stage+text"


def suggest_need_skills(space: SkillSpace, stage_prior: Mapping[str, float], text_vector: np.ndarray | None,
                        items: np.ndarray | None, max_items: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Best first, at most `max_items`; `stage_prior` is item -> the highest prior weight of the chosen stages.

    Without text only the stages' core items are suggested.
    """
    z = None
    if text_vector is not None and items is not None and items.shape[0]:
        sims = items @ np.asarray(text_vector, dtype=np.float32)
        spread = float(sims.std())
        if spread > 1e-9:
            z = (sims - sims.mean()) / spread
    out: list[tuple[float, int, Suggestion]] = []
    for j, item in enumerate(space.item_ids):
        prior = float(stage_prior.get(item, 0.0))
        zj = float(z[j]) if z is not None else None
        if zj is None:
            keep = prior >= CORE_PRIOR
        elif prior >= HEADLINE_PRIOR:
            keep = True
        elif prior >= CORE_PRIOR:
            keep = zj >= CORE_MIN_Z
        elif prior > 0:
            keep = zj >= PRIOR_MIN_Z
        else:
            keep = zj >= TEXT_MIN_Z
        if not keep:
            continue
        origin = ("stage" if zj is None or (prior > 0 and zj < PRIOR_MIN_Z) else
                  "text" if prior == 0 else "stage+text")
        rank = prior + TEXT_WEIGHT * (zj or 0.0)
        out.append((-rank, j, Suggestion(item, prior, zj, origin)))
    out.sort()
    return [s for _, _, s in out[:max_items]]
