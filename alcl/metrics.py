"""Continual-learning metrics from an accuracy matrix (DESIGN §2).

``R[i][j]`` is the accuracy on test set j after training experience i. The
curves give, after each experience i, the metric over test sets 0..i.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Matrix = Sequence[Sequence[float]]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def average_accuracy(R: Matrix, i: int) -> float:
    """Mean accuracy after experience i over the test sets seen so far (j <= i)."""
    return _mean([R[i][j] for j in range(i + 1)])


def forgetting(R: Matrix, i: int) -> float:
    """Mean over j < i of the best earlier accuracy on j minus the accuracy now."""
    return _mean([max(R[k][j] for k in range(j, i)) - R[i][j] for j in range(i)])


def bwt(R: Matrix, i: int) -> float:
    """Backward transfer after experience i: mean over j < i of R[i][j] - R[j][j]."""
    return _mean([R[i][j] - R[j][j] for j in range(i)])


def curves(R: Matrix) -> dict[str, list[float]]:
    """Average accuracy, forgetting and BWT after every experience."""
    rows = range(len(R))
    return {
        "avg_accuracy": [average_accuracy(R, i) for i in rows],
        "forgetting": [forgetting(R, i) for i in rows],
        "bwt": [bwt(R, i) for i in rows],
    }
