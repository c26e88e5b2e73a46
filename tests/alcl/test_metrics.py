"""Metrics computed from a hand-made accuracy matrix."""

from __future__ import annotations

import math

import pytest

from alcl.evaluation import metrics

R = [
    [0.9, 0.1, 0.2],
    [0.7, 0.8, 0.3],
    [0.6, 0.85, 0.5],
]


def test_average_accuracy_uses_seen_test_sets():
    assert metrics.average_accuracy(R, 0) == pytest.approx(0.9)
    assert metrics.average_accuracy(R, 2) == pytest.approx((0.6 + 0.85 + 0.5) / 3)


# Test set 0 rises after experience 2 (0.5 -> 0.8), then falls (0.6).
RISE_THEN_FALL = [
    [0.5, 0.1, 0.2],
    [0.8, 0.7, 0.3],
    [0.6, 0.75, 0.5],
]


def test_forgetting_compares_with_accuracy_right_after_training():
    # Avalanche's definition: j=0: 0.5 - 0.6; j=1: 0.7 - 0.75
    assert metrics.forgetting(RISE_THEN_FALL, 2) == pytest.approx((-0.1 - 0.05) / 2)
    assert metrics.forgetting(RISE_THEN_FALL, 2) == pytest.approx(-metrics.bwt(RISE_THEN_FALL, 2))
    assert math.isnan(metrics.forgetting(R, 0))


def test_max_forgetting_takes_the_best_earlier_accuracy():
    # j=0: best earlier 0.8 -> 0.6 (0.2); j=1: best earlier 0.7 -> 0.75 (-0.05)
    assert metrics.max_forgetting(RISE_THEN_FALL, 2) == pytest.approx((0.2 - 0.05) / 2)
    assert metrics.max_forgetting(R, 2) == pytest.approx((0.3 - 0.05) / 2)
    assert math.isnan(metrics.max_forgetting(R, 0))


def test_bwt_compares_with_accuracy_right_after_training():
    assert metrics.bwt(R, 2) == pytest.approx(((0.6 - 0.9) + (0.85 - 0.8)) / 2)


def test_curves_have_one_value_per_experience():
    curves = metrics.curves(R)
    assert set(curves) == {"avg_accuracy", "forgetting", "max_forgetting", "bwt"}
    assert {len(v) for v in curves.values()} == {3}
