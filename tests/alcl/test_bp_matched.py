"""bp-matched: a backprop rival with AL's final parameter count, within 5 %."""

from __future__ import annotations

import pytest

from alcl.results import files as results
from experiments.config import config_from_dict
from experiments.runner import run_experiment


@pytest.mark.parametrize(("dataset", "n_experiences"), [("wine", 3), ("breast_cancer", 2)])
def test_bp_matched_has_als_parameter_count(tmp_path, dataset, n_experiences):
    cfg = config_from_dict(
        {
            "seeds": [0],
            "device": "cpu",
            "stream": {"dataset": dataset, "n_experiences": n_experiences},
            "model": {"widths": [16, 16], "label_dim": 8},
            "training": {"epochs": 1},
            "adaptive": {"latency_repeats": 0},
            "strategies": ["al", "naive", "bp-matched"],
        }
    )
    folder = run_experiment(cfg, out=tmp_path / "out", progress=False, plots=False)
    count = {run.strategy: run.n_parameters for run in results.load_runs(folder)}
    assert abs(count["bp-matched"] - count["al"]) <= 0.05 * count["al"]
    # naive, of the shared widths, is off by more (the gap bp-matched closes)
    assert abs(count["naive"] - count["al"]) > abs(count["bp-matched"] - count["al"])


def test_bp_matched_says_when_no_widths_can_match():
    from alcl.baselines.bp_matched import matched_widths
    from alcl.config import ModelConfig
    from alcl.registry import Problem

    with pytest.raises(ValueError, match="column groups"):
        matched_widths(Problem(4, 2), ModelConfig(widths=[4]), "zero")
