"""A multi-seed run of baselines, controls and PNN: summary, aggregate tables, figures, same samples."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys

import pytest

from alcl.results import files as results
from experiments.config import config_from_dict
from experiments.runner import run_experiment

STRATEGIES = [
    "al",
    "bp-grow",
    "naive",
    {"name": "naive", "label": "naive-zero", "absent": "zero"},
    "pnn",
    "joint",
]
TINY = {
    "name": "tiny-seeds",
    "seeds": [0, 1],
    "device": "cpu",
    "stream": {"dataset": "wine", "n_experiences": 2},
    "model": {"widths": [8, 8], "label_dim": 4},
    "training": {"epochs": 1, "batch_size": 32},
    "strategies": STRATEGIES,
}
KEYS = ["al", "bp-grow", "naive", "naive-zero", "pnn", "joint"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds") / "out"
    return run_experiment(config_from_dict(TINY), out=out, progress=False)


def _runs(folder):
    return {(r.strategy, r.seed): r.to_dict() for r in results.load_runs(folder)}


def test_summary_has_one_row_per_strategy_and_seed(run):
    with open(run / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["strategy"], int(r["seed"])) for r in rows] == [(k, s) for k in KEYS for s in (0, 1)]
    absent = {r["strategy"]: r["absent"] for r in rows}
    assert absent == {
        "al": "routed",
        "bp-grow": "routed",
        "naive": "zero+mask",
        "naive-zero": "zero",
        "pnn": "zero+mask",
        "joint": "zero+mask",
    }
    assert {r["strategy"] for r in rows if r["task_oracle"] == "True"} == {"pnn"}


def test_aggregate_tables_give_mean_sample_std_and_t_interval_over_seeds(run):
    from scipy import stats as scipy_stats

    runs = _runs(run)
    with open(run / results.AGGREGATE_CSV) as handle:
        agg = {r["strategy"]: r for r in csv.DictReader(handle)}
    assert list(agg) == KEYS
    for key in KEYS:
        values = [runs[(key, s)]["final"]["avg_accuracy"] for s in (0, 1)]
        mean = sum(values) / 2
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / 1)  # ddof 1
        half = scipy_stats.t.ppf(0.975, 1) * std / math.sqrt(2)
        assert float(agg[key]["avg_accuracy"]) == pytest.approx(mean)
        assert float(agg[key]["avg_accuracy_std"]) == pytest.approx(std)
        assert float(agg[key]["avg_accuracy_ci"]) == pytest.approx(half)
        if key != "al":  # the paired comparison with AL, over both seeds
            al = [runs[("al", s)]["final"]["avg_accuracy"] for s in (0, 1)]
            higher = sum(a > v for a, v in zip(al, values, strict=True))
            assert agg[key]["avg_accuracy_al_higher"] == f"{higher}/2"
        assert agg[key]["seeds"] == "2"
    markdown = (run / results.AGGREGATE_MD).read_text()
    assert "| pnn (task-label oracle) | 2 | zero+mask |" in markdown
    assert "| al | 2 | routed |" in markdown and " ± " in markdown


def test_every_strategy_of_a_seed_met_the_same_samples(run):
    runs = _runs(run)
    for seed in (0, 1):
        prints = {runs[(k, seed)]["stream"]["fingerprint"] for k in KEYS}
        assert len(prints) == 1
    assert runs[("al", 0)]["stream"]["fingerprint"] != runs[("al", 1)]["stream"]["fingerprint"]
    assert runs[("pnn", 0)]["task_oracle"] is True
    assert runs[("pnn", 0)]["stream"]["task_labels"].startswith("oracle")
    assert runs[("pnn", 0)]["n_parameters"] > runs[("naive", 0)]["n_parameters"]


def test_a_run_on_other_samples_is_refused(run, tmp_path):
    folder = tmp_path / "copy"
    (folder / results.METRICS_DIR).mkdir(parents=True)
    for path in (run / results.METRICS_DIR).glob("*.json"):
        data = json.loads(path.read_text())
        if data["strategy"] == "naive" and data["seed"] == 0:
            data["stream"]["fingerprint"] = "0" * 16
        results.write_json(folder / results.METRICS_DIR / path.name, data)
    with pytest.raises(ValueError, match="seed 0 met different samples"):
        results.write_summary(folder)


def test_figures_include_one_matrix_per_strategy_and_the_time_comparison(run):
    names = {p.name for p in (run / "figures").iterdir()}
    for stem in ["accuracy", "forgetting", "al_exits", "accuracy_vs_time"] + [
        f"matrix_{k}" for k in KEYS
    ]:
        assert {f"{stem}.png", f"{stem}.pdf"} <= names, stem


def test_the_cli_the_registry_and_the_plots_import_without_torch():
    """`alcl --help` and `alcl plot` stay fast; the config check loads the strategies."""
    code = (
        "import sys\n"
        "import alcl, alcl.registry, streams, experiments.cli, alcl.results.plots\n"
        "assert 'torch' not in sys.modules and 'avalanche' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_run_depends_on_its_seed_alone_not_on_the_runs_before_it(monkeypatch):
    """A-GEM and replay buffers sample with Python's random: each run seeds it, and NumPy's."""
    import random

    import numpy as np
    import torch

    from alcl.evaluation.record import RunRecord
    from experiments.runner import run_one
    from streams import build_stream, load_stream_data

    def draws(*args, **kwargs):  # the generators' next numbers, carried as "train seconds"
        seconds = [random.random(), float(np.random.rand()), float(torch.rand(1))]
        return RunRecord(False, [], [], [], [], {}, {}, seconds, 0, "")

    monkeypatch.setattr("alcl.evaluation.protocol.run_protocol", draws)
    cfg = config_from_dict({**TINY, "strategies": ["agem"]})
    stream = build_stream(load_stream_data(cfg.stream), cfg.stream, 0)
    first = run_one(cfg, 0, 0, stream, "cpu").train_seconds
    random.random(), np.random.rand(), torch.rand(1)
    assert run_one(cfg, 0, 0, stream, "cpu").train_seconds == first
    assert run_one(cfg, 0, 1, stream, "cpu").train_seconds != first
