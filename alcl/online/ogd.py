"""Online gradient descent on a softmax (logistic) regression over the present features.

The plain online baseline (Zinkevich, ICML 2003, applied to the log loss): an absent
column contributes nothing (it reads as 0 after standardisation, i.e. its running mean).
Hyper-parameters: ``lr`` 0.05, constant; ``scale`` standardises with running statistics
(:mod:`alcl.online.scaling`), since the raw columns of these tables span 1 to 10^5.
"""

from __future__ import annotations

import numpy as np

from alcl.online.learner import OnlineLearner, register_online
from alcl.online.scaling import RunningScaler


@register_online("ogd")
class OGDLogistic(OnlineLearner):
    def __init__(
        self, n_features: int, n_classes: int, seed: int = 0, lr: float = 0.05, scale: bool = True
    ) -> None:
        super().__init__(n_features, n_classes, seed)
        self.lr = lr
        self.w = np.zeros((n_classes, n_features))
        self.b = np.zeros(n_classes)
        self.scaler = RunningScaler(n_features) if scale else None

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        z = self.scaler.transform(x) if self.scaler else x
        return np.nan_to_num(z, nan=0.0)

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self._inputs(np.atleast_2d(np.asarray(x, dtype=np.float64))) @ self.w.T + self.b

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        z = self._inputs(x)
        logits = z @ self.w.T + self.b
        prediction = logits.argmax(axis=1)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1.0
        self.w -= self.lr * p.T @ z / len(y)
        self.b -= self.lr * p.mean(axis=0)
        if self.scaler:
            self.scaler.update(x)
        return prediction
