"""The online prequential protocol: for each row (or minibatch), predict, record, then train.

One pass over the stream (Dawid's prequential evaluation, as in OLSF, ODL and Aux-Drop):
the number reported is the count of errors over the whole stream, with accuracy, balanced
accuracy (scikit-learn's) and the error rate over time.

Avalanche's online support (``split_online_stream``, ``OnlineNaive``) cuts experiences into
mini-experiences and trains on each, but it evaluates on separate test streams, not on each
row before training on it, and costs a dataset and a loader per mini-experience: at one row
per step that is thousands of times the cost of the step. So this loop is plain NumPy; the
batch form of the same streams (a chunk is an experience) goes through Avalanche as usual.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from alcl.online.learner import OnlineLearner

CURVE_POINTS = 200


@dataclass
class OnlineResult:
    """What one prequential run reports (fractions in [0, 1]; ``errors`` is a count)."""

    learner: str
    seed: int
    n_instances: int
    errors: int
    accuracy: float
    balanced_accuracy: float
    seconds: float
    curve_at: list[int] = field(default_factory=list)  # instances seen
    error_rate: list[float] = field(default_factory=list)  # cumulative error rate there

    @property
    def instances_per_second(self) -> float:
        return self.n_instances / self.seconds if self.seconds > 0 else float("inf")


def prequential(
    learner: OnlineLearner,
    x: np.ndarray,
    y: np.ndarray,
    seed: int = 0,
    batch_size: int = 1,
    progress=None,
) -> OnlineResult:
    """Run ``learner`` over the rows of ``x`` in order; ``progress(done)`` is called now and then."""
    if batch_size < 1:
        raise ValueError(f"the online batch size must be >= 1, got {batch_size}.")
    n = len(y)
    if n == 0:
        raise ValueError("the online stream is empty.")
    predictions = np.empty(n, dtype=np.int64)
    start = time.process_time()
    every = max(1, n // 100)
    for first in range(0, n, batch_size):
        last = min(first + batch_size, n)
        predictions[first:last] = learner.step(x[first:last], y[first:last])
        if progress is not None and (last // every != first // every or last == n):
            progress(last)
    seconds = time.process_time() - start
    wrong = predictions != y
    at = np.unique(np.linspace(1, n, min(CURVE_POINTS, n)).round().astype(int))
    rate = np.cumsum(wrong)[at - 1] / at
    return OnlineResult(
        learner=learner.name,
        seed=seed,
        n_instances=n,
        errors=int(wrong.sum()),
        accuracy=float(1.0 - wrong.mean()),
        balanced_accuracy=float(balanced_accuracy_score(y, predictions)),
        seconds=seconds,
        curve_at=at.tolist(),
        error_rate=rate.round(6).tolist(),
    )
