"""Threshold calibration: the two rules, the stored choice, and test data never choosing."""

from __future__ import annotations

import math

import pytest
import torch

from alcl.calibration import (
    AdaptiveConfig,
    Curve,
    Point,
    adaptive_report,
    calibrate,
    choose_threshold,
    threshold_curve,
)
from tests.alcl.helpers import batch, grown_network

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]


def _curve() -> Curve:
    """1000 samples; the full path is right on 900."""
    points = [
        Point(0.5, 0.870, 100.0, 1.0, [1000, 0], gained=10, lost=40),
        Point(0.8, 0.896, 150.0, 1.5, [500, 500], gained=6, lost=10),
        Point(0.9, 0.900, 180.0, 1.8, [200, 800], gained=2, lost=2),
    ]
    return Curve("max_prob", 1000, points, Point(math.inf, 0.900, 200.0, 2.0, [0, 1000]))


def test_accuracy_rule_takes_the_least_compute_within_epsilon():
    curve = _curve()
    assert choose_threshold(curve, "accuracy", epsilon=0.005, z=0.0).threshold == 0.8
    assert choose_threshold(curve, "accuracy", epsilon=0.05, z=0.0).threshold == 0.5
    # with a margin of z standard errors of the paired drop, 0.8 no longer fits 0.005
    assert choose_threshold(curve, "accuracy", epsilon=0.005, z=1.645).threshold == 0.9
    # nothing but the full path fits a zero tolerance with margin
    assert math.isinf(choose_threshold(curve, "accuracy", epsilon=0.0, z=1.0).threshold)


def test_budget_rule_takes_the_best_accuracy_within_the_budget():
    curve = _curve()
    assert choose_threshold(curve, "budget", max_flops=160.0).threshold == 0.8
    assert choose_threshold(curve, "budget", max_flops=1000.0).threshold == 0.9
    assert choose_threshold(curve, "budget", max_flops=50.0).threshold == 0.5  # cheapest
    with pytest.raises(ValueError, match="max_flops"):
        choose_threshold(curve, "budget")
    with pytest.raises(ValueError, match="unknown calibration rule"):
        choose_threshold(curve, "fastest")


def test_curve_counts_are_consistent_and_the_choice_is_stored():
    net, _ = grown_network(GROUPS)
    x, y = batch(80)
    curve = threshold_curve(net, x, y, thresholds=(0.0, 0.5, 1.0), batch_size=32)
    assert [sum(p.exit_counts) for p in curve.candidates()] == [80] * 4
    assert curve.points[0].exit_counts[0] == 80  # threshold 0: everyone leaves at depth 1
    full = curve.full_path
    assert full.exit_counts == [0, 0, 80] and full.gained == full.lost == 0
    for p in curve.points:
        assert p.accuracy == pytest.approx(full.accuracy + (p.gained - p.lost) / 80)
    chosen, _ = calibrate(net, x, y, epsilon=1.0, thresholds=(0.0, 0.5))
    assert chosen.threshold == 0.0 and net.exit_rule == (0.0, "max_prob")
    with pytest.raises(ValueError, match="thresholds"):
        threshold_curve(net, x, y, thresholds=(1.5,))
    with pytest.raises(ValueError, match="empty"):
        threshold_curve(net, x[:0], y[:0])


def test_the_test_split_never_moves_the_threshold():
    net, _ = grown_network(GROUPS)
    valid = batch(60)
    g = torch.Generator().manual_seed(5)
    other_test = (torch.randn(40, 8, generator=g), torch.randint(0, 3, (40,), generator=g))
    settings = AdaptiveConfig(epsilon=0.1, z=0.0, latency_repeats=0)
    a = adaptive_report(net, valid, batch(40), settings)
    b = adaptive_report(net, valid, other_test, settings)
    assert a["threshold"] == b["threshold"]
    assert a["valid"] == b["valid"]
    summary = a["test_summary"]
    assert summary["accuracy"] == a["test_at_threshold"]["accuracy"]
    assert summary["full_path_accuracy"] == a["test"]["full_path"]["accuracy"]
