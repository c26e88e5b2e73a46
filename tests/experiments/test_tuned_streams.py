"""The benchmarks' tuning: settings chosen on validation only, and the tuning seed's run reused honestly."""

from __future__ import annotations

import json

from alcl.results.files import write_json
from experiments.benchmarks.tuned_streams import _with, tune_then_run
from experiments.config import config_from_dict
from experiments.runner import quiet_avalanche, run_one
from streams import build_stream, load_stream_data
from tests.experiments.helpers import metrics_of, without_timings

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


def test_tuning_picks_the_best_validation_setting_and_reuses_only_identical_runs(tmp_path):
    cfg = config_from_dict(CONFIG)
    agg = tune_then_run(cfg, GRID, [0, 1], tmp_path)
    tuning = json.loads((tmp_path / "tuning.json").read_text())
    for key in ("al", "naive", "joint"):
        scores = [s for s in tuning["scores"] if s["strategy"] == key]
        assert len(scores) == len(GRID["lr"])
        best = max(scores, key=lambda s: s["validation"])
        assert tuning["chosen"][key] == {"lr": best["lr"]}
    assert set(agg) == {"al", "naive", "joint"} and all(agg[k]["seeds"] == 2 for k in agg)

    # The seed-0 files come from tuning; they must equal a fresh run with the chosen setting.
    written = metrics_of(tmp_path)
    trained_with = json.loads((tmp_path / "training.json").read_text())
    stream = build_stream(load_stream_data(cfg.stream), cfg.stream, 0)
    for index, entry in enumerate(cfg.strategies):
        with quiet_avalanche():
            fresh = run_one(_with(cfg, tuning["chosen"][entry.key]), index, 0, stream, "cpu")
        on_disk = written[f"{entry.key}__seed0.json"]
        assert trained_with[entry.key]["lr"] == tuning["chosen"][entry.key]["lr"]
        write_json(tmp_path / "fresh.json", fresh.to_dict())  # written as every metrics file is
        assert on_disk == without_timings(json.loads((tmp_path / "fresh.json").read_text()))
