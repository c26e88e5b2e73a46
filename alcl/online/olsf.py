"""OLSF: online learning from trapezoidal data streams (Zhang, Zhang, Long, Ding, Zhang and
Wu, IEEE TKDE 28(10), 2016).

A linear classifier whose weight vector grows with the features. For a row with the
features seen so far split into *survived* ones s (the classifier has weights for them) and
*new* ones n, with hinge loss l = max(0, 1 - y w.x):

- update (the paper's passive-aggressive step, Sec. 3): w_s <- w_s + tau y x_s, and the new
  weights start at w_n = tau y x_n, with tau = min(C, l / |x|^2) (OLSF-I) or
  tau = l / (|x|^2 + 1 / (2C)) (OLSF-II);
- sparsity step: project w onto the L2 ball of radius 1/sqrt(lambda), then keep the
  largest B-fraction of its entries (truncation), the rest set to 0.

Hyper-parameters, defaults ours (the paper tunes C, lambda and B per data set and does not
list the values): ``C`` 0.1, ``lam`` 30.0, ``B`` 1.0 (no truncation), ``variant`` "I".
Binary labels only, as in the paper. ``scale`` standardises each column with running
statistics (off by default, as the paper reads raw values). Absent columns read as 0;
a feature is *survived* once any row has shown it.
"""

from __future__ import annotations

import numpy as np

from alcl.online.learner import OnlineLearner, register_online
from alcl.online.scaling import RunningScaler


@register_online("olsf")
class OLSF(OnlineLearner):
    def __init__(
        self,
        n_features: int,
        n_classes: int,
        seed: int = 0,
        C: float = 0.1,
        lam: float = 30.0,
        B: float = 1.0,
        variant: str = "I",
        scale: bool = False,
    ) -> None:
        super().__init__(n_features, n_classes, seed)
        if n_classes != 2:
            raise ValueError(f"OLSF is a binary classifier; this stream has {n_classes} classes.")
        if variant not in ("I", "II"):
            raise ValueError(f"OLSF variant must be 'I' or 'II', got {variant!r}.")
        if not (C > 0 and lam > 0 and 0 < B <= 1):
            raise ValueError(f"OLSF needs C > 0, lam > 0 and 0 < B <= 1; got {C}, {lam}, {B}.")
        self.C, self.lam, self.B, self.variant = C, lam, B, variant
        self.w = np.zeros(n_features)
        self.seen = np.zeros(n_features, dtype=bool)
        self.scaler = RunningScaler(n_features) if scale else None

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        predictions = np.empty(len(x), dtype=np.int64)
        for i, (row, label) in enumerate(zip(x, y, strict=True)):
            predictions[i] = self._learn_one(row, 1.0 if label == 1 else -1.0)
        return predictions

    def scores(self, x: np.ndarray) -> np.ndarray:
        """(0, margin) per row: class 1 where the margin on the features seen so far is > 0."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        z = self.scaler.transform(x) if self.scaler else x
        z = np.where(np.isnan(x), 0.0, z)
        margin = z[:, self.seen] @ self.w[self.seen]
        return np.stack([np.zeros_like(margin), margin], axis=1)

    def _learn_one(self, row: np.ndarray, sign: float) -> int:
        present = ~np.isnan(row)
        z = self.scaler.transform(row) if self.scaler else row
        z = np.where(present, z, 0.0)
        survived = self.seen
        margin = float(self.w[survived] @ z[survived])
        prediction = 1 if margin > 0 else 0
        new = present & ~survived
        loss = max(0.0, 1.0 - sign * margin)
        if loss > 0:
            norm2 = float(z @ z)
            if self.variant == "I":
                tau = min(self.C, loss / norm2) if norm2 > 0 else 0.0
            else:
                tau = loss / (norm2 + 1.0 / (2.0 * self.C))
            self.w[survived] += tau * sign * z[survived]
            self.w[new] = tau * sign * z[new]
        self.seen = survived | present
        self._sparsify()
        if self.scaler:
            self.scaler.update(row)
        return prediction

    def _sparsify(self) -> None:
        norm = float(np.linalg.norm(self.w))
        radius = 1.0 / np.sqrt(self.lam)
        if norm > radius:
            self.w *= radius / norm
        if self.B < 1.0:
            index = np.flatnonzero(self.seen)
            keep = max(1, int(np.floor(self.B * len(index))))
            if len(index) > keep:
                drop = index[np.argsort(np.abs(self.w[index]))[: len(index) - keep]]
                self.w[drop] = 0.0
