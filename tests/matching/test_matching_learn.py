from __future__ import annotations

import numpy as np
import pytest

from matching import SIGNALS, fit_weights


def test_fit_weights_finds_the_signals_that_predict_outcomes():
    rng = np.random.default_rng(0)
    X = rng.random((400, len(SIGNALS)))
    logit = 6 * X[:, 0] + 3 * X[:, 2] - 4.5
    y = (rng.random(400) < 1 / (1 + np.exp(-logit))).astype(int)
    learned = fit_weights(X, y, SIGNALS, random_state=0)
    assert abs(sum(learned.weights.values()) - 1.0) < 1e-9
    assert all(w >= 0 for w in learned.weights.values())
    assert learned.weights["skill"] > learned.weights["availability"] > learned.weights["fee"]
    assert 0.7 < learned.cv_auc_mean <= 1.0 and learned.n_samples == 400


def test_fit_weights_never_returns_negative_weights():
    rng = np.random.default_rng(1)
    X = rng.random((200, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)  # the second signal predicts failure
    learned = fit_weights(X, y, ["a", "b", "c"])
    assert learned.weights["b"] == 0.0 and learned.weights["a"] > 0.5


@pytest.mark.parametrize("labels", [np.ones(50), np.r_[np.ones(3), np.zeros(47)], np.r_[np.ones(5), np.zeros(5)]])
def test_fit_weights_refuses_too_few_or_one_class(labels):
    X = np.random.default_rng(0).random((labels.size, 2))
    with pytest.raises(ValueError, match="too few outcomes"):
        fit_weights(X, labels, ["a", "b"])


def test_signal_matrix_orders_columns_and_fills_missing_with_neutral():
    from matching import signal_matrix

    rows = signal_matrix([{"skill": 0.9, "semantic": 0.1}, {"type": 1.0}], ["skill", "type"])
    assert rows.tolist() == [[0.9, 0.5], [0.5, 1.0]]
    assert signal_matrix([]).shape == (0, len(SIGNALS))
