"""The online error-rate figure is drawn from the run files alone."""

import dataclasses
import json

import numpy as np

from alcl.online import build_learner, prequential
from alcl.results.online_plots import plot_error_rates
from alcl.results.online_report import read_online_runs


def test_error_rate_figure_from_files(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = (x[:, 0] > 0).astype(np.int64)
    folder = tmp_path / "trapezoidal"
    for name in ("majority", "ogd"):
        for seed in (0, 1):
            run = prequential(build_learner(name, 3, 2, seed), x, y, seed=seed)
            path = folder / "toy" / f"{name}__shuffle{seed}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(dataclasses.asdict(run)))
    runs = read_online_runs(folder)
    assert sorted(runs["toy"]) == ["majority", "ogd"] and len(runs["toy"]["ogd"]) == 2
    paths = plot_error_rates(folder)
    assert [p.name for p in paths] == ["error_rate.png", "error_rate.pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert plot_error_rates(tmp_path / "empty") == []
