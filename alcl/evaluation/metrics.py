"""Continual-learning metrics from an accuracy matrix.

``R[i][j]`` is the accuracy on test set j after training experience i. The
curves give, after each experience i, the metric over test sets 0..i. The same
functions apply to the current-feature matrix C (every test set with the columns
visible now), where AL's forgetting is not zero by construction.

Two forgetting measures are reported:

- ``forgetting`` is Avalanche's (``forgetting_metrics(stream=True)``): the
  mean over j < i of R[j][j] - R[i][j], the accuracy right after training on
  j minus the accuracy now. By definition it equals -BWT. A test checks that
  it equals what Avalanche reports for the same run.
- ``max_forgetting`` is Chaudhry et al.'s (2018), the definition of DESIGN §2:
  the mean over j < i of max_{j <= k < i} R[k][j] - R[i][j], the best earlier
  accuracy minus the accuracy now. It differs from ``forgetting`` when an
  accuracy first rises after j was trained, then falls.
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
    """Avalanche's stream forgetting after experience i: mean over j < i of R[j][j] - R[i][j]."""
    return _mean([R[j][j] - R[i][j] for j in range(i)])


def max_forgetting(R: Matrix, i: int) -> float:
    """Mean over j < i of the best earlier accuracy on j minus the accuracy now (Chaudhry)."""
    return _mean([max(R[k][j] for k in range(j, i)) - R[i][j] for j in range(i)])


def bwt(R: Matrix, i: int) -> float:
    """Backward transfer after experience i: mean over j < i of R[i][j] - R[j][j]."""
    return _mean([R[i][j] - R[j][j] for j in range(i)])


CURVES = {
    "avg_accuracy": average_accuracy,
    "forgetting": forgetting,
    "max_forgetting": max_forgetting,
    "bwt": bwt,
}
"""Every metric computed from R, by the name it has in results files."""

FORGETTING = ("forgetting", "max_forgetting", "bwt")
"""The metrics of :data:`CURVES` that compare a test set's accuracy over time; they are also
computed on the current-feature matrix C (as ``current_<name>``)."""


def curves(R: Matrix) -> dict[str, list[float]]:
    """Every metric of :data:`CURVES` after every experience."""
    return {name: [metric(R, i) for i in range(len(R))] for name, metric in CURVES.items()}
