"""Adaptive thresholds per feature set (alcl.feature_set_thresholds, EarlyExits' table)."""

from __future__ import annotations

import math

import pytest
import torch

from alcl import inference
from alcl.calibration import AdaptiveConfig, choose_threshold, threshold_curve
from alcl.feature_set_thresholds import calibrate_feature_sets, feature_set_report
from alcl.network import ALNetwork
from tests.alcl.helpers import CASES

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]


def _released_rows(n: int = 90, seed: int = 3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows of three feature sets, as released: set d has the columns of groups 1..d."""
    x, y = CASES["mlp"].batch(n, seed)
    depth = torch.arange(n) % 3 + 1
    for d, cols in ((1, GROUPS[1] + GROUPS[2]), (2, GROUPS[2])):
        x[(depth == d).nonzero().squeeze(1)[:, None], torch.tensor(cols)] = math.nan
    return x, y, depth


def _net(steps: int = 0) -> ALNetwork:
    """The 3-block MLP network, trained ``steps`` full-batch steps on complete rows."""
    torch.manual_seed(0)
    net, _ = CASES["mlp"].grown(groups=GROUPS, freeze=False)
    x, y = CASES["mlp"].batch(200, seed=9)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(steps):
        optimizer.zero_grad()
        net.local_losses(x, y).loss.backward()
        optimizer.step()
    return net.eval()


def test_every_row_walks_with_its_feature_sets_threshold_in_every_adaptive_path():
    net = _net()
    x, _, depth = _released_rows()
    from alcl.confidence import confidence

    first = confidence(inference.shortcut(net, x[depth == 2], 1).detach(), "max_prob")
    per_set = {1: math.inf, 2: float(first.median()), 3: 0.0}  # set 2: about half leave at 1
    net.set_exit_rule(1.0)  # one threshold: nobody is that confident, so each set's deepest
    net.set_feature_set_thresholds(per_set)
    both = inference.adaptive(net, x)
    routed = inference.adaptive_routed(net, x, batch_size=7, deep_batch_size=5)
    for d, threshold in per_set.items():
        rows = (depth == d).nonzero().squeeze(1)
        alone = inference.adaptive(net, x[rows], threshold)
        assert torch.equal(both.exit_depth[rows], alone.exit_depth)
        assert torch.allclose(both.logits[rows], alone.logits, atol=1e-6)
        assert torch.equal(routed.exit_depth[rows], alone.exit_depth)
    assert (both.exit_depth[depth == 3] == 1).all()  # threshold 0: the first exit
    assert set(both.exit_depth[depth == 2].tolist()) == {1, 2}
    one = inference.adaptive(net, x)  # the table's sets, against the one threshold
    net.set_exit_rule(1.0)
    assert torch.equal(inference.adaptive(net, x).exit_depth, depth)
    assert not torch.equal(one.exit_depth, depth)


def test_the_table_travels_with_state_dict_and_one_new_threshold_replaces_it():
    net = _net()
    plain_keys = set(net.state_dict())
    net.set_exit_rule(0.5)
    net.set_feature_set_thresholds({2: 0.9})
    assert net.feature_set_thresholds().tolist() == [0.5, 0.5, 0.9, 0.5]
    fresh = _net()
    fresh.load_state_dict(net.state_dict())
    assert torch.equal(fresh.feature_set_thresholds(), net.feature_set_thresholds())
    assert set(_net().state_dict()) == plain_keys  # never calibrated per set: keys unchanged
    net.set_exit_rule(0.7)
    assert net.feature_set_thresholds() is None
    with pytest.raises(ValueError, match="depths 1..3"):
        net.set_feature_set_thresholds({4: 0.5})
    with pytest.raises(ValueError, match="exit rule first"):
        _net().set_feature_set_thresholds({1: 0.5})


def test_each_set_gets_what_the_rule_picks_on_its_rows_alone_and_the_report_adds_up():
    net = _net(steps=60)  # confident enough that some thresholds let rows leave early
    settings = AdaptiveConfig(epsilon=0.05, z=0.0, thresholds=[0.3, 0.5, 0.7, 0.9])
    xv, yv, dv = _released_rows(120, seed=5)
    xt, yt, dt = _released_rows(90, seed=6)
    net.set_exit_rule(math.inf)
    chosen = calibrate_feature_sets(net, xv, yv, settings)
    assert sorted(chosen) == [1, 2, 3]
    for d, point in chosen.items():
        rows = (dv == d).nonzero().squeeze(1)
        curve = threshold_curve(net, xv[rows], yv[rows], (0.3, 0.5, 0.7, 0.9))
        assert point.threshold == choose_threshold(curve, "accuracy", 0.05, None, 0.0).threshold
        assert float(net.feature_set_thresholds()[d]) == point.threshold
    report = feature_set_report(net, (xv, yv), (xt, yt), settings)
    by_depth = {s["depth"]: s for s in report["sets"]}
    assert sorted(by_depth) == [1, 2, 3] and sum(s["n_test"] for s in report["sets"]) == 90
    served = inference.adaptive(net, xt)  # the stored table, as a server would apply it
    right = int((served.labels == yt).sum()) / len(yt)
    assert report["summary"]["per_set_accuracy"] == pytest.approx(right, abs=1e-9)
    full = int((inference.full_path(net, xt).labels == yt).sum()) / len(yt)
    assert report["summary"]["full_accuracy"] == pytest.approx(full, abs=1e-9)
    assert {p.threshold for p in chosen.values()} != {math.inf}  # some set leaves early
    assert report["summary"]["per_set_flops"] < report["summary"]["full_flops"]
    for d, s in by_depth.items():
        assert s["n_valid"] == int((dv == d).sum())
        assert s["threshold"] == (None if chosen[d].threshold == math.inf else chosen[d].threshold)


def test_a_run_reports_per_set_thresholds_only_when_asked(tmp_path):
    from alcl.results.files import load_runs
    from experiments.config import config_from_dict
    from experiments.runner import run_experiment

    base = {
        "seeds": [0],
        "device": "cpu",
        "threads": 1,
        "stream": {"dataset": "wine", "n_experiences": 3},
        "model": {"widths": [16, 16, 16], "label_dim": 8},
        "training": {"epochs": 5, "batch_size": 16, "lr": 0.01},
        "strategies": ["al"],
    }
    runs = {}
    for flag in (False, True):
        adaptive = {"latency_repeats": 0, "thresholds": [0.5, 0.9], "per_feature_set": flag}
        folder = run_experiment(
            config_from_dict({**base, "adaptive": adaptive}), tmp_path / str(flag), plots=False,
            progress=False,
        )  # fmt: skip
        runs[flag] = load_runs(folder)[0]
    assert "by_feature_set" not in runs[False].al.adaptive
    report = runs[True].al.adaptive["by_feature_set"]
    assert [s["depth"] for s in report["sets"]] == [1, 2, 3]
    assert set(report["summary"]) == {
        f"{k}_{m}" for k in ("per_set", "one", "full") for m in ("accuracy", "flops")
    }
    assert runs[True].accuracy_matrix == runs[False].accuracy_matrix  # calibration never trains
    assert runs[True].al.adaptive["test"] == runs[False].al.adaptive["test"]
