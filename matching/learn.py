"""Learn signal weights from past outcomes (accepted and well-rated vs declined or poorly rated)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

MIN_SAMPLES = 20
MIN_PER_CLASS = 5


@dataclass(frozen=True)
class LearnedWeights:
    """Non-negative weights summing to 1, with their cross-validated ROC AUC.

    `coefficients` are the raw (clipped) logistic-regression coefficients, kept for audit.
    """

    weights: dict[str, float]
    cv_auc_mean: float
    cv_auc_std: float
    n_samples: int
    n_positive: int
    coefficients: dict[str, float] = field(default_factory=dict)


def fit_weights(signal_rows: np.ndarray, labels: np.ndarray, signal_names: Sequence[str],
                random_state: int = 0, n_splits: int = 5) -> LearnedWeights:
    """Fit a logistic regression with non-negative coefficients on the signals (StratifiedKFold CV AUC).

    Signals already live in [0, 1] and the ranker adds them up, so the coefficients of a positive
    logistic regression are directly usable as weights once normalised. Weights must not turn
    negative: "more skill lowers the rank" would be impossible to explain to a municipality.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X = np.asarray(signal_rows, dtype=np.float64)
    y = np.asarray(labels).astype(int)
    names = list(signal_names)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(f"signal_rows must be (n, {len(names)}), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"labels must be ({X.shape[0]},), got {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (declined / poorly rated) or 1 (accepted and well rated)")
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if y.size < MIN_SAMPLES or min(n_pos, n_neg) < MIN_PER_CLASS:
        raise ValueError(
            f"too few outcomes to learn weights: {y.size} samples ({n_pos} positive, {n_neg} negative); "
            f"need at least {MIN_SAMPLES} with {MIN_PER_CLASS} of each class")
    folds = StratifiedKFold(n_splits=min(n_splits, n_pos, n_neg), shuffle=True, random_state=random_state)
    aucs = []
    for train, test in folds.split(X, y):
        coef, intercept = _fit_nonnegative(X[train], y[train])
        aucs.append(roc_auc_score(y[test], X[test] @ coef + intercept))
    coef, _ = _fit_nonnegative(X, y)
    if coef.sum() <= 0:
        raise ValueError("no signal predicts good outcomes (all learned coefficients <= 0); keep the default weights")
    weights = coef / coef.sum()
    return LearnedWeights(weights={n: float(w) for n, w in zip(names, weights)},
                          cv_auc_mean=float(np.mean(aucs)), cv_auc_std=float(np.std(aucs)),
                          n_samples=int(y.size), n_positive=n_pos,
                          coefficients={n: float(c) for n, c in zip(names, coef)})


def _fit_nonnegative(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression whose coefficients are >= 0: drop the most negative signal and refit.

    A small active-set loop rather than clipping, so the kept signals are refit without the dropped one.
    """
    from sklearn.linear_model import LogisticRegression

    keep = np.ones(X.shape[1], dtype=bool)
    coef = np.zeros(X.shape[1])
    intercept = 0.0
    while keep.any():
        model = LogisticRegression(C=1.0, max_iter=1000).fit(X[:, keep], y)
        c = model.coef_[0]
        if (c >= 0).all():
            coef[keep] = c
            intercept = float(model.intercept_[0])
            break
        keep[np.flatnonzero(keep)[int(np.argmin(c))]] = False
    return coef, intercept


def signal_matrix(signals: Sequence[dict[str, float]], signal_names: Sequence[str] | None = None) -> np.ndarray:
    """Stack stored `Match.signals` dicts into the (n, n_signals) rows `fit_weights` takes.

    A signal missing from an old stored entry counts as 0.5 (neutral), not as 0.
    """
    from .types import SIGNALS

    names = list(signal_names or SIGNALS)
    return np.array([[float(s.get(n, 0.5)) for n in names] for s in signals], dtype=np.float64).reshape(-1, len(names))
