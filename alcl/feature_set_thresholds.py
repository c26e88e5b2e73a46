"""Adaptive-inference thresholds calibrated per feature set, on rows as they were released.

On a feature-incremental stream a row released in experience j has the columns of
experiences 1..j, so its walk through the exits stops at the exit that answers that feature
set (depth j, or the exit chosen for it, :mod:`alcl.answer_exits`). One threshold for every
row is chosen where every row has every column (the current-feature view,
:func:`alcl.calibration.adaptive_report`); the rows of a short feature set have fewer exits
to choose among and confidences of their own. :func:`calibrate_feature_sets` runs the same
rule on each feature set's validation rows as released and stores one threshold per set in
the network (:meth:`alcl.early_exits.EarlyExits.set_feature_set_thresholds`), which every
adaptive path then applies row by row. :func:`feature_set_report` measures it on the test
rows as released, beside the one threshold the same rule picks on the same validation rows
and beside the full path.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from alcl import inference
from alcl.calibration import (
    DEFAULT_THRESHOLDS,
    AdaptiveConfig,
    Curve,
    Point,
    choose_threshold,
    threshold_curve,
)
from alcl.early_exits import EarlyExits


def _feature_sets(net: EarlyExits, x: Tensor) -> dict[int, Tensor]:
    """Answering depth -> the rows of ``x`` that one feature set answers there."""
    limit = inference.answer_depths(net, x)
    return {int(d): (limit == d).nonzero().squeeze(1) for d in torch.unique(limit)}


def _choose(curve: Curve, settings: AdaptiveConfig) -> Point:
    budget = settings.budget if settings.rule == "budget" else None
    max_flops = None if budget is None else budget * curve.full_path.mean_flops
    return choose_threshold(curve, settings.rule, settings.epsilon, max_flops, settings.z)


def _curve(net: EarlyExits, x: Tensor, y: Tensor, settings: AdaptiveConfig) -> Curve:
    thresholds = tuple(settings.thresholds or DEFAULT_THRESHOLDS)
    return threshold_curve(net, x, y, thresholds, settings.confidence)


def calibrate_feature_sets(
    net: EarlyExits, x_valid: Tensor, y_valid: Tensor, settings: AdaptiveConfig
) -> dict[int, Point]:
    """Choose a threshold for each feature set on its validation rows (as released) with
    the rule of ``settings``, store them in ``net``, and return depth -> chosen point. The
    network's one threshold (:meth:`~alcl.early_exits.EarlyExits.set_exit_rule`) must be set
    already: sets without validation rows keep it."""
    chosen = {
        depth: _choose(_curve(net, x_valid[rows], y_valid[rows], settings), settings)
        for depth, rows in _feature_sets(net, x_valid).items()
    }
    net.set_feature_set_thresholds({d: p.threshold for d, p in chosen.items()})
    return chosen


def feature_set_report(
    net: EarlyExits,
    valid: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    settings: AdaptiveConfig,
) -> dict[str, Any]:
    """Calibrate per feature set on ``valid`` (rows as released) and compare on ``test`` (rows
    as released) with one threshold chosen by the same rule on the same rows, and with the
    full path. Each set's rows are priced as their own batches."""
    one = _choose(_curve(net, *valid, settings), settings).threshold
    chosen = calibrate_feature_sets(net, *valid, settings)
    n_valid = {depth: len(rows) for depth, rows in _feature_sets(net, valid[0]).items()}
    sets, totals = [], dict.fromkeys(("per_set", "one", "full"), (0, 0.0))
    for depth, rows in _feature_sets(net, test[0]).items():
        curve = _curve(net, test[0][rows], test[1][rows], settings)
        threshold = chosen[depth].threshold if depth in chosen else float(net.exit_threshold)
        points = {"per_set": curve.at(threshold), "one": curve.at(one), "full": curve.full_path}
        n = len(rows)
        for key, point in points.items():
            right, flops = totals[key]
            totals[key] = (right + point.accuracy * n, flops + point.mean_flops * n)
        sets.append(
            {
                "depth": depth,
                "n_test": n,
                "n_valid": n_valid.get(depth, 0),
                "threshold": None if threshold == float("inf") else threshold,
                **{f"{key}_accuracy": p.accuracy for key, p in points.items()},
                **{f"{key}_flops": p.mean_flops for key, p in points.items()},
            }
        )
    n_test = len(test[1])
    summary = {f"{key}_accuracy": right / n_test for key, (right, _) in totals.items()}
    summary |= {f"{key}_flops": flops / n_test for key, (_, flops) in totals.items()}
    return {
        "one_threshold": None if one == float("inf") else one,
        "sets": sets,
        "summary": summary,
    }
