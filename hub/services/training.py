"""Learn the matcher's signal weights from past outcomes stored in the hub.

The rows are shortlist entries: each kept the signals the officer saw when the expert was proposed.
Positive: the expert accepted and the engagement that followed was rated well (>= 4).
Negative: the expert declined, or the engagement was rated poorly (<= 2.5). Everything else is unlabelled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import matching
from hub.db import utcnow
from hub.models import Engagement, RankerWeights, ShortlistEntry

GOOD_RATING = 4.0
POOR_RATING = 2.5


@dataclass(frozen=True)
class TrainingSet:
    signals: np.ndarray  # (n, len(matching.SIGNALS))
    labels: np.ndarray   # (n,) 0/1


def training_set(session: Session) -> TrainingSet:
    """Collect labelled (signals, outcome) rows from shortlist entries and their engagements."""
    ratings: dict[tuple[int, int], float] = {}
    for engagement in session.scalars(select(Engagement).where(Engagement.need_id.is_not(None))
                                      .options(selectinload(Engagement.evaluation))):
        if engagement.evaluation is not None:
            ratings[(engagement.need_id, engagement.expert_id)] = engagement.evaluation.overall
    rows, labels = [], []
    for entry in session.scalars(select(ShortlistEntry).where(ShortlistEntry.signals.is_not(None))
                                 .order_by(ShortlistEntry.id)):
        rating = ratings.get((entry.need_id, entry.expert_id))
        if entry.state == "declined" or (rating is not None and rating <= POOR_RATING):
            label = 0
        elif entry.state == "accepted" and rating is not None and rating >= GOOD_RATING:
            label = 1
        else:
            continue
        rows.append([float(entry.signals.get(name, 0.0)) for name in matching.SIGNALS])
        labels.append(label)
    return TrainingSet(np.asarray(rows, dtype=np.float64).reshape(-1, len(matching.SIGNALS)),
                       np.asarray(labels, dtype=int))


def train_ranker(session: Session, random_state: int = 0) -> tuple[RankerWeights, matching.LearnedWeights]:
    """Fit and store a new weights version; raises ValueError when the outcomes cannot support it."""
    data = training_set(session)
    learned = matching.fit_weights(data.signals, data.labels, matching.SIGNALS, random_state=random_state)
    row = RankerWeights(
        version=f"learned-{utcnow():%Y%m%d%H%M%S}",
        weights=learned.weights,
        metrics={"cv_auc_mean": learned.cv_auc_mean, "cv_auc_std": learned.cv_auc_std,
                 "n_samples": learned.n_samples, "n_positive": learned.n_positive,
                 "coefficients": learned.coefficients})
    session.add(row)
    session.flush()
    return row, learned
