"""Tuning in a suite: an equal budget per strategy, chosen on validation with tuning seeds only,
and no tuning run in any result."""

from __future__ import annotations

import json

import pytest
import yaml

from alcl.results.files import load_runs
from experiments.cli import main
from experiments.config import ConfigError, config_from_dict
from experiments.suite import expand_suite
from experiments.tuning import grid_points, parse_tune

TUNED = {
    "name": "tuned",
    "seeds": [0, 1],
    "device": "cpu",
    "threads": 1,
    "model": {"widths": [8, 8], "label_dim": 4},
    "training": {"epochs": 2, "batch_size": 32, "lr": 0.01},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    "strategies": ["al", "ewc"],
    "tune": {
        "seeds": [100],
        "budget": 2,
        "grid": {"all": {"lr": [0.001, 0.03]}, "ewc": {"ewc_lambda": [1.0, 1000.0]}},
    },
    "streams": [{"name": "wine-2", "dataset": "wine", "n_experiences": 2}],
}


@pytest.fixture(scope="module")
def tuned_root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tuned")
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(TUNED))
    assert main(["suite", str(path), "--out", str(folder / "out"), "--no-progress"]) == 0
    return folder / "out"


def test_every_strategy_gets_the_same_number_of_points():
    cfg = config_from_dict({k: v for k, v in TUNED.items() if k not in ("tune", "streams")})
    tune = parse_tune(TUNED["tune"], cfg.seeds)
    al, ewc = (grid_points(tune, s) for s in cfg.strategies)
    assert len(al) == len(ewc) == 2
    assert [p.training for p in al] == [{"lr": 0.001}, {"lr": 0.03}]
    assert all(set(p.params) == {"ewc_lambda"} and set(p.training) == {"lr"} for p in ewc)
    assert grid_points(tune, cfg.strategies[1]) == ewc  # the same draw every time


def test_the_chosen_point_is_the_best_on_validation_with_the_tuning_seeds(tuned_root):
    tuning = tuned_root / "tuning" / "wine-2"
    runs = load_runs(tuning)
    assert {r.seed for r in runs} == {100}
    score = {r.strategy: r.final["valid_avg_accuracy"] for r in runs}
    chosen = json.loads((tuning / "chosen.json").read_text())
    evaluated = {r.strategy: r for r in load_runs(tuned_root / "wine-2")}
    assert {r.seed for r in load_runs(tuned_root / "wine-2")} == {0, 1}
    for key in ("al", "ewc"):
        points = [score[f"{key}@{i}"] for i in range(2)]
        best = max(range(2), key=lambda i: (points[i], -i))
        assert chosen[key]["chosen"] == best
        point = chosen[key]["points"][best]
        assert evaluated[key].params["training"] == point["training"]  # what ran is recorded
        for name, value in point["params"].items():
            assert evaluated[key].params[name] == value
    assert "wine-2 | ewc |" in (tuned_root / "tuning.md").read_text()


def test_no_tuning_run_enters_a_result_table(tuned_root):
    for table in ("summary.csv", "scoreboard.md", "aggregate.md"):
        assert "@" not in (tuned_root / table).read_text()
    summary = (tuned_root / "summary.csv").read_text()
    assert ",100," not in summary


@pytest.mark.parametrize(
    ("tune", "message"),
    [
        ({"seeds": [0], "budget": 1, "grid": {"all": {"lr": [0.1]}}}, "also evaluation seeds"),
        ({"budget": 3, "grid": {"all": {"lr": [0.1, 0.2]}}}, "fewer than tune.budget = 3"),
        ({"budget": 1, "grid": {"all": {"lamda": [1]}}}, "'lamda' is neither a training key"),
        ({"budget": 1, "metric": "avg_accuracy"}, "tune.metric must be one of"),
        ({"budgets": 1}, "unknown key tune.budgets"),
    ],
)
def test_bad_tune_sections_are_refused_before_anything_runs(tune, message):
    with pytest.raises(ConfigError, match=message):
        expand_suite({**TUNED, "tune": tune}, out="/nonexistent/never-written")
