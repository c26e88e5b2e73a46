"""Stored samples: read from what each strategy really holds after training."""

from __future__ import annotations

from alcl.results import files as results
from experiments.config import config_from_dict
from experiments.runner import build_stream, run_experiment


def test_stored_samples_count_what_each_strategy_holds(tmp_path):
    cfg = config_from_dict(
        {
            "seeds": [0],
            "device": "cpu",
            "stream": {"dataset": "wine", "n_experiences": 2},
            "model": {"widths": [8, 8], "label_dim": 4},
            "training": {"epochs": 1},
            "adaptive": {"latency_repeats": 0},
            "strategies": [
                "al",
                "naive",
                "ewc",
                {"name": "replay", "mem_size": 10},
                {"name": "agem", "patterns_per_exp": 7},
                "cumulative",
                "joint",
            ],
        }
    )
    folder = run_experiment(cfg, out=tmp_path / "out", progress=False, plots=False)
    stored = {run.strategy: run.stored_samples for run in results.load_runs(folder)}
    train = sum(len(e.dataset) for e in build_stream(cfg.stream, 0).train_stream)
    assert stored == {
        "al": 0,
        "naive": 0,
        "ewc": 0,
        "replay": 10,
        "agem": 2 * 7,
        "cumulative": train,
        "joint": train,
    }
    table = (folder / results.AGGREGATE_MD).read_text()
    assert "stored_samples" in table.splitlines()[0]
