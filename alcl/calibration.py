"""Choosing the adaptive-inference threshold on validation data, never on test data.

:func:`threshold_curve` reads adaptive inference at every candidate threshold
off one pass that computes every exit's logits (:func:`alcl.inference.exit_table`;
the decisions are those :func:`alcl.inference.adaptive` makes, which a test
checks) and records accuracy, mean FLOPs per sample, mean exit depth, the exit-depth
histogram and (optionally) wall-clock seconds per sample. Two rules pick a
threshold from a validation curve:

- ``accuracy``: the smallest mean compute whose accuracy stays within
  ``epsilon`` of the full path's. The drop is measured on the same samples
  as the full path (paired), and by default must stay within ``epsilon``
  even after adding ``z`` = 1.645 standard errors (one-sided 95 %): the
  threshold sits at the edge of the tolerance by construction, so without
  a margin validation noise alone would push the test drop past it about
  half of the time, and on a small validation set the rule rightly
  becomes cautious;
- ``budget``: the best accuracy whose mean FLOPs per sample stay within a budget.

The full path itself is always a candidate (threshold ``inf``), so the
accuracy rule always finds an answer. :func:`calibrate` stores the choice in
the network (:meth:`alcl.network.EarlyExits.set_exit_rule`), so it travels with ``state_dict``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor

from alcl import inference
from alcl.compute import seconds_per_sample_range, timed_rows
from alcl.confidence import CONFIDENCES
from alcl.early_exits import EarlyExits

DEFAULT_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999)
RULES = ("accuracy", "budget")


@dataclass
class Point:
    """Adaptive inference at one threshold (``inf`` = the full path) on one data set."""

    threshold: float
    accuracy: float
    mean_flops: float
    mean_depth: float
    exit_counts: list[int]  # samples leaving at depth 1..L
    gained: int = 0  # samples right here and wrong on the full path
    lost: int = 0  # samples wrong here and right on the full path
    seconds_per_sample: float | None = None  # median of the latency probe's repeats
    seconds_range: list[float] | None = None  # its fastest and slowest repeat

    def drop_bound(self, n: int, z: float) -> float:
        """Accuracy drop below the full path plus ``z`` standard errors of the paired drop."""
        drop = (self.lost - self.gained) / n
        var = (self.lost + self.gained) / n - drop**2
        return drop + z * math.sqrt(max(var, 0.0) / n)


@dataclass
class Curve:
    """Points at every candidate threshold, plus the full path, on one data set."""

    confidence: str
    n_samples: int
    points: list[Point]
    full_path: Point
    batch_size: int = 0

    def candidates(self) -> list[Point]:
        return [*self.points, self.full_path]

    def at(self, threshold: float) -> Point:
        for point in self.candidates():
            if point.threshold == threshold:
                return point
        raise KeyError(f"no point at threshold {threshold}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the results files (the full path's threshold, inf, becomes null)."""
        return {
            "confidence": self.confidence,
            "n_samples": self.n_samples,
            "batch_size": self.batch_size,
            "thresholds": [p.threshold for p in self.points],
            "accuracy": [p.accuracy for p in self.points],
            "mean_flops": [p.mean_flops for p in self.points],
            "mean_depth": [p.mean_depth for p in self.points],
            "exit_counts": [p.exit_counts for p in self.points],
            "gained": [p.gained for p in self.points],
            "lost": [p.lost for p in self.points],
            "seconds_per_sample": [p.seconds_per_sample for p in self.points],
            "seconds_range": [p.seconds_range for p in self.points],
            "full_path": asdict(self.full_path) | {"threshold": None},
        }


_Batch = tuple[Tensor, Tensor, "inference.ExitTable", Tensor | None]  # x, y, exits, full right


def _point(
    net: EarlyExits,
    batches: list[_Batch],
    threshold: float,
    kind: str,
    repeats: int,
    timed: int = 0,
) -> Point:
    """One point, read off each batch's exit table (adaptive inference's decisions, without
    running the network again). With ``repeats`` > 0, adaptive inference itself is timed on
    ``timed`` evenly spaced rows (0: all of them)."""
    correct, gained, lost, flops, depth, n = 0, 0, 0, 0, 0, 0
    counts = torch.zeros(net.depth, dtype=torch.long)
    for _, yb, table, full_right in batches:
        pred = inference.decide(net, table, threshold, kind)
        right = pred.labels == yb
        correct += int(right.sum())
        if full_right is not None:
            gained += int((right & ~full_right).sum())
            lost += int((~right & full_right).sum())
        flops += int(pred.flops.sum())
        depth += int(pred.exit_depth.sum())
        counts += torch.bincount(pred.exit_depth - 1, minlength=net.depth).cpu()
        n += len(yb)
    seconds, spread = None, None
    if repeats > 0:
        x = timed_rows(torch.cat([b[0] for b in batches]), timed)
        seconds, *spread = seconds_per_sample_range(
            lambda xb: inference.adaptive(net, xb, threshold, kind), x, len(batches[0][0]), repeats
        )
    return Point(
        threshold, correct / n, flops / n, depth / n, counts.tolist(), gained, lost, seconds, spread
    )


@torch.no_grad()
def threshold_curve(
    net: EarlyExits,
    x: Tensor,
    y: Tensor,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
    confidence: str = "max_prob",
    batch_size: int = 1024,
    latency_repeats: int = 0,
    latency_samples: int = 0,
) -> Curve:
    """Adaptive inference on ``(x, y)`` at every threshold and on the full path.

    ``latency_repeats`` > 0 also times each point (median, fastest and slowest of
    that many runs over ``latency_samples`` evenly spaced rows of ``x``, 0: all of
    them, in batches of ``batch_size``).
    """
    if confidence not in CONFIDENCES:
        raise ValueError(f"unknown confidence {confidence!r}; choose one of {list(CONFIDENCES)}.")
    if len(y) == 0:
        raise ValueError("cannot calibrate on an empty set; the validation split has no samples.")
    bad = [t for t in thresholds if not 0.0 <= t <= 1.0]
    if bad or not thresholds:
        raise ValueError(f"thresholds must be a non-empty list in [0, 1], got {list(thresholds)}.")
    was_training = net.training
    net.eval()
    try:
        batches = [
            (xb, yb, inference.exit_table(net, xb), None)
            for xb, yb in zip(torch.split(x, batch_size), torch.split(y, batch_size), strict=True)
        ]
        timing = (latency_repeats, latency_samples)
        full = _point(net, batches, math.inf, confidence, *timing)
        batches = [
            (xb, yb, table, inference.decide(net, table, math.inf, confidence).labels == yb)
            for xb, yb, table, _ in batches
        ]
        points = [_point(net, batches, float(t), confidence, *timing) for t in sorted(thresholds)]
    finally:
        net.train(was_training)
    return Curve(confidence, len(y), points, full, batch_size)


def choose_threshold(
    curve: Curve,
    rule: str = "accuracy",
    epsilon: float = 0.005,
    max_flops: float | None = None,
    z: float = 1.645,
) -> Point:
    """The point of a (validation) curve that ``rule`` picks.

    ``accuracy``: the least mean FLOPs whose paired accuracy drop below the
    full path, plus ``z`` standard errors, is at most ``epsilon`` (ties go to
    the more accurate). ``budget``: the most accurate point with mean FLOPs
    <= ``max_flops`` (ties go to the cheaper); if no point fits, the
    cheapest one, and the caller should report the budget as missed.
    """
    candidates = curve.candidates()
    if rule == "accuracy":
        if epsilon < 0 or z < 0:
            raise ValueError(f"epsilon and z must be >= 0, got {epsilon} and {z}.")
        fits = [p for p in candidates if p.drop_bound(curve.n_samples, z) <= epsilon + 1e-12]
        return min(fits, key=lambda p: (p.mean_flops, -p.accuracy))
    if rule == "budget":
        if max_flops is None or max_flops <= 0:
            raise ValueError("the budget rule needs max_flops > 0 (mean FLOPs per sample).")
        fits = [p for p in candidates if p.mean_flops <= max_flops]
        if not fits:
            return min(candidates, key=lambda p: (p.mean_flops, -p.accuracy))
        return max(fits, key=lambda p: (p.accuracy, -p.mean_flops))
    raise ValueError(f"unknown calibration rule {rule!r}; choose one of {list(RULES)}.")


def calibrate(
    net: EarlyExits,
    x_valid: Tensor,
    y_valid: Tensor,
    rule: str = "accuracy",
    epsilon: float = 0.005,
    budget: float | None = None,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
    confidence: str = "max_prob",
    batch_size: int = 1024,
    z: float = 1.645,
) -> tuple[Point, Curve]:
    """Pick a threshold on validation data and store it in ``net``.

    ``budget`` is the mean FLOPs per sample allowed, as a fraction of the
    full path's (budget rule only). Returns the chosen point and the curve.
    """
    curve = threshold_curve(net, x_valid, y_valid, thresholds, confidence, batch_size)
    max_flops = None if budget is None else budget * curve.full_path.mean_flops
    chosen = choose_threshold(curve, rule, epsilon, max_flops, z)
    net.set_exit_rule(chosen.threshold, confidence)
    return chosen, curve


@dataclass
class AdaptiveConfig:
    """The ``adaptive`` config section: how a run calibrates and measures adaptive inference."""

    confidence: str = "max_prob"  # max_prob | entropy
    rule: str = "accuracy"  # accuracy: least compute within epsilon | budget: best accuracy
    epsilon: float = 0.005  # accuracy rule: allowed drop below the full path (validation)
    z: float = 1.645  # accuracy rule: standard errors of margin on that drop (0: none)
    budget: float = 0.5  # budget rule: mean FLOPs per sample, as a fraction of the full path
    thresholds: list[float] | None = None  # None: alcl.calibration.DEFAULT_THRESHOLDS
    latency_batch_size: int = 256
    latency_repeats: int = 3  # 0 skips wall-clock timing
    latency_samples: int = 1024  # test rows the latency probe times, evenly spaced (0: all)
    per_feature_set: bool = False  # also a threshold per feature set, rows as released

    def check(self, need: Callable[[bool, str], None]) -> None:
        need(
            self.confidence in CONFIDENCES,
            f"adaptive.confidence must be one of {list(CONFIDENCES)}, got {self.confidence!r}.",
        )
        need(
            self.rule in RULES,
            f"adaptive.rule must be one of {list(RULES)}, got {self.rule!r}.",
        )
        need(self.epsilon >= 0, f"adaptive.epsilon must be >= 0, got {self.epsilon}.")
        need(self.z >= 0, f"adaptive.z must be >= 0, got {self.z}.")
        need(0 < self.budget <= 1, f"adaptive.budget must lie in (0, 1], got {self.budget}.")
        thresholds = self.thresholds
        need(
            thresholds is None or (len(thresholds) > 0 and all(0 <= t <= 1 for t in thresholds)),
            f"adaptive.thresholds must be a non-empty list of numbers in [0, 1], got {thresholds}.",
        )
        need(self.latency_batch_size >= 1, "adaptive.latency_batch_size must be >= 1.")
        need(self.latency_repeats >= 0, "adaptive.latency_repeats must be >= 0 (0 skips timing).")
        need(
            self.latency_samples >= 0,
            f"adaptive.latency_samples must be >= 0 (0: time every test row), got "
            f"{self.latency_samples}.",
        )


def adaptive_report(
    net: EarlyExits,
    valid: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    settings: AdaptiveConfig | None = None,
) -> dict[str, Any]:
    """Calibrate on ``valid``, store the rule in ``net``, and measure every threshold on ``test``.

    Both sets should show every column the network reads (the current-feature
    view). Test accuracy is reported for the threshold chosen on validation;
    the test curve is recorded for the figures, never used to choose.
    """
    settings = settings or AdaptiveConfig()
    thresholds = tuple(settings.thresholds or DEFAULT_THRESHOLDS)
    budget = settings.budget if settings.rule == "budget" else None
    chosen, valid_curve = calibrate(
        net,
        *valid,
        rule=settings.rule,
        epsilon=settings.epsilon,
        budget=budget,
        thresholds=thresholds,
        confidence=settings.confidence,
        z=settings.z,
    )
    test_curve = threshold_curve(
        net,
        *test,
        thresholds,
        settings.confidence,
        settings.latency_batch_size,
        settings.latency_repeats,
        settings.latency_samples,
    )
    at_test = test_curve.at(chosen.threshold)
    full = test_curve.full_path
    finite = math.isfinite(chosen.threshold)
    return {
        "confidence": settings.confidence,
        "rule": settings.rule,
        "epsilon": settings.epsilon if settings.rule == "accuracy" else None,
        "z": settings.z if settings.rule == "accuracy" else None,
        "budget": budget,
        "budget_met": None
        if budget is None
        else chosen.mean_flops <= budget * valid_curve.full_path.mean_flops,
        "threshold": chosen.threshold if finite else None,
        "chose_full_path": not finite,
        "valid": valid_curve.as_dict(),
        "test": test_curve.as_dict(),
        "test_at_threshold": asdict(at_test) | {"threshold": chosen.threshold if finite else None},
        "test_summary": {
            "accuracy": at_test.accuracy,
            "full_path_accuracy": full.accuracy,
            "accuracy_drop": full.accuracy - at_test.accuracy,
            "mean_flops": at_test.mean_flops,
            "full_path_flops": full.mean_flops,
            "flops_ratio": full.mean_flops / at_test.mean_flops,
            "seconds_per_sample": at_test.seconds_per_sample,
            "full_path_seconds_per_sample": full.seconds_per_sample,
            "seconds_range": at_test.seconds_range,
            "full_path_seconds_range": full.seconds_range,
            "timed_samples": min(settings.latency_samples or len(test[1]), len(test[1]))
            if settings.latency_repeats
            else 0,
            "speedup": (
                full.seconds_per_sample / at_test.seconds_per_sample
                if full.seconds_per_sample and at_test.seconds_per_sample
                else None
            ),
        },
    }
