"""Metrics computed from a hand-made accuracy matrix."""

from __future__ import annotations

import math

import pytest

from alcl import metrics

R = [
    [0.9, 0.1, 0.2],
    [0.7, 0.8, 0.3],
    [0.6, 0.85, 0.5],
]


def test_average_accuracy_uses_seen_test_sets():
    assert metrics.average_accuracy(R, 0) == pytest.approx(0.9)
    assert metrics.average_accuracy(R, 2) == pytest.approx((0.6 + 0.85 + 0.5) / 3)


def test_forgetting_takes_the_best_earlier_accuracy():
    # after exp 3: j=0 best was 0.9 -> 0.6 (0.3); j=1 best was 0.8 -> 0.85 (-0.05)
    assert metrics.forgetting(R, 2) == pytest.approx((0.3 - 0.05) / 2)
    assert math.isnan(metrics.forgetting(R, 0))


def test_bwt_compares_with_accuracy_right_after_training():
    assert metrics.bwt(R, 2) == pytest.approx(((0.6 - 0.9) + (0.85 - 0.8)) / 2)


def test_curves_have_one_value_per_experience():
    curves = metrics.curves(R)
    assert {len(v) for v in curves.values()} == {3}
