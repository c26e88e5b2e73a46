"""The adaptive figure: a latency panel only for runs that measured latency."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from alcl.results.files import load_runs  # noqa: E402
from alcl.results.plots_adaptive import adaptive_figure  # noqa: E402
from experiments.config import config_from_dict  # noqa: E402
from experiments.runner import run_experiment  # noqa: E402


def _al_runs(tmp_path, repeats: int) -> list[dict]:
    cfg = config_from_dict(
        {
            "name": f"latency{repeats}",
            "device": "cpu",
            "threads": 1,
            "stream": {"dataset": "wine", "n_experiences": 2},
            "model": {"widths": [8, 8], "label_dim": 4},
            "training": {"epochs": 1},
            "adaptive": {"latency_repeats": repeats, "latency_batch_size": 8},
            "strategies": ["al"],
        }
    )
    folder = run_experiment(cfg, out=tmp_path / str(repeats), progress=False, plots=False)
    return list(load_runs(folder))


def test_latency_panel_only_when_latency_was_measured(tmp_path):
    timed = adaptive_figure(plt, {"al": _al_runs(tmp_path, 1)}, caption="wine")
    untimed = adaptive_figure(plt, {"al": _al_runs(tmp_path, 0)}, caption="wine")
    try:
        assert [ax.get_title() for ax in timed.axes] == [
            "accuracy vs compute",
            "accuracy vs latency",
        ]
        assert [ax.get_title() for ax in untimed.axes] == ["accuracy vs compute"]
        assert untimed.legends and untimed.get_suptitle() == "wine"
    finally:
        plt.close(timed)
        plt.close(untimed)
