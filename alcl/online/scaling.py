"""Running standardisation from the rows seen so far: what an online learner may know.

Welford's update per column, counting only present (non-NaN) values. A row is scaled with
the statistics of the rows before it, so no label or value from the future leaks in.
"""

from __future__ import annotations

import numpy as np


class RunningScaler:
    """z = (x - mean) / std per column over the present values seen; NaN stays NaN.

    A column seen fewer than twice has mean 0 and std 1 (it passes unchanged).
    """

    def __init__(self, n_features: int) -> None:
        self.count = np.zeros(n_features)
        self.mean = np.zeros(n_features)
        self._m2 = np.zeros(n_features)

    def transform(self, x: np.ndarray) -> np.ndarray:
        known = self.count >= 2
        std = np.where(known, np.sqrt(self._m2 / np.maximum(self.count - 1, 1)), 1.0)
        std = np.where(std > 1e-12, std, 1.0)
        return (x - np.where(known, self.mean, 0.0)) / std

    def update(self, x: np.ndarray) -> None:
        for row in np.atleast_2d(x):
            present = ~np.isnan(row)
            self.count[present] += 1
            delta = row[present] - self.mean[present]
            self.mean[present] += delta / self.count[present]
            self._m2[present] += delta * (row[present] - self.mean[present])
