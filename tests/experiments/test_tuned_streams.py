"""The benchmarks' tuning: settings chosen on validation of tuning seeds only, which are never
evaluation seeds, and no tuning run among the results."""

from __future__ import annotations

import json

import pytest

from alcl.results.files import load_runs
from experiments.benchmarks.tuned_streams import tune_then_run
from experiments.config import config_from_dict

CONFIG = {
    "name": "tuned",
    "seeds": [0],
    "device": "cpu",
    "threads": 1,
    "stream": {"dataset": "wine", "n_experiences": 2},
    "model": {"widths": [16, 16], "label_dim": 8},
    "training": {"epochs": 2, "batch_size": 32},
    "adaptive": {"latency_repeats": 0},
    "strategies": ["al", "naive", "joint"],
}
GRID = {"lr": [0.001, 0.03]}


def test_tuning_picks_the_best_validation_setting_on_tuning_seeds_only(tmp_path):
    cfg = config_from_dict(CONFIG)
    agg = tune_then_run(cfg, GRID, [0, 1], tmp_path, tune_seeds=[100])
    tuning = json.loads((tmp_path / "tuning.json").read_text())
    assert tuning["seeds"] == [100]
    for key in ("al", "naive", "joint"):
        scores = [s for s in tuning["scores"] if s["strategy"] == key]
        assert len(scores) == len(GRID["lr"])  # the same budget for every strategy
        best = max(scores, key=lambda s: s["validation"])
        assert tuning["chosen"][key] == {"lr": best["lr"]}
    assert set(agg) == {"al", "naive", "joint"} and all(agg[k]["seeds"] == 2 for k in agg)
    assert {r.seed for r in load_runs(tmp_path)} == {0, 1}  # no tuning run is a result
    trained_with = json.loads((tmp_path / "training.json").read_text())
    for key in ("al", "naive", "joint"):
        assert trained_with[key]["lr"] == tuning["chosen"][key]["lr"]


def test_a_tuning_seed_that_is_also_an_evaluation_seed_is_refused(tmp_path):
    with pytest.raises(ValueError, match="also evaluation seeds"):
        tune_then_run(config_from_dict(CONFIG), GRID, [0, 1], tmp_path, tune_seeds=[1])
