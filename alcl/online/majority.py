"""The floor every table shows: predict the class seen most often so far (prequentially)."""

from __future__ import annotations

import numpy as np

from alcl.online.learner import OnlineLearner, register_online


@register_online("majority")
class MajorityClass(OnlineLearner):
    """Predicts the most frequent label among the rows seen before (class 0 before any)."""

    def __init__(self, n_features: int, n_classes: int, seed: int = 0) -> None:
        super().__init__(n_features, n_classes, seed)
        self.counts = np.zeros(n_classes, dtype=np.int64)

    def scores(self, x: np.ndarray) -> np.ndarray:
        return np.tile(np.eye(self.n_classes)[int(np.argmax(self.counts))], (len(x), 1))

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        prediction = np.full(len(y), int(np.argmax(self.counts)), dtype=np.int64)
        np.add.at(self.counts, y, 1)
        return prediction
