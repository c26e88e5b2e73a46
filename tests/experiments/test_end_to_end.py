"""`alcl run` and `alcl plot` on a tiny config: files, values and figures."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import yaml

from alcl.results.tables import SUMMARY_COLUMNS
from experiments.cli import main

TINY = {
    "name": "tiny",
    "seeds": [0],
    "device": "cpu",
    "stream": {"dataset": "wine", "n_experiences": 2},
    "model": {"widths": [16, 16], "label_dim": 8},
    "training": {"epochs": 2, "batch_size": 32},
    "adaptive": {"latency_repeats": 1, "latency_batch_size": 16},
    "strategies": ["al", "naive", {"name": "replay", "mem_size": 20}, "cumulative", "joint"],
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    cfg = root / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    out = root / "out"
    assert main(["run", str(cfg), "--out", str(out), "--no-progress"]) == 0
    return out


def test_run_writes_config_metrics_summary_and_figures(tiny_run, capsys):
    out = tiny_run
    assert yaml.safe_load((out / "config.yaml").read_text())["stream"]["dataset"] == "wine"
    runs = sorted(p.name for p in (out / "metrics").glob("*.json"))
    assert runs == sorted(
        f"{s}__seed0.json" for s in ("al", "naive", "replay", "cumulative", "joint")
    )
    with open(out / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    assert [r["strategy"] for r in rows] == ["al", "naive", "replay", "cumulative", "joint"]
    for row in rows:
        for key in ("avg_accuracy", "current_accuracy"):
            assert 0.0 <= float(row[key]) <= 1.0
        assert float(row["train_seconds"]) > 0
    joint = rows[-1]
    assert joint["forgetting"] == "" and joint["bwt"] == ""
    for name in ("accuracy", "forgetting", "al_exits", "adaptive", "exit_depths"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 1000
    al = json.loads((out / "metrics" / "al__seed0.json").read_text())
    assert len(al["accuracy_matrix"]) == 2 and len(al["accuracy_matrix"][0]) == 2
    assert [len(e) for e in al["al"]["exit_accuracy"]] == [1, 2]
    assert al["accuracy_matrix"][1][0] == al["accuracy_matrix"][0][0]  # frozen: no forgetting
    compute, adaptive = al["al"]["compute"], al["al"]["adaptive"]
    flops = compute["flops_per_sample"]
    assert len(flops["shortcut"]) == 2 and flops["shortcut"][0] < flops["shortcut"][1]
    assert len(compute["parameters_per_block"]) == 2
    assert len(compute["latency"]["shortcut_seconds_per_batch"]) == 2
    n_test = sum(adaptive["test"]["exit_counts"][0])
    # the full path on every test sample with every column is the deepest exit
    assert adaptive["test"]["full_path"]["accuracy"] == pytest.approx(
        al["al"]["exit_accuracy"][-1][-1]
    )
    assert sum(adaptive["test_at_threshold"]["exit_counts"]) == n_test
    assert adaptive["rule"] == "accuracy" and len(adaptive["valid"]["thresholds"]) >= 10
    assert not list(out.rglob("*.tmp*"))


def test_plot_redraws_from_files_alone(tiny_run):
    figures = tiny_run / "figures"
    for f in figures.iterdir():
        f.unlink()
    assert main(["plot", str(tiny_run)]) == 0
    assert {p.name for p in figures.iterdir()} >= {"accuracy.png", "accuracy.pdf", "al_exits.pdf"}


def test_a_different_config_cannot_overwrite_a_results_folder(tiny_run, tmp_path, capsys):
    other = tmp_path / "other.yaml"
    training = {**TINY.get("training", {}), "lr": 0.5}
    other.write_text(yaml.safe_dump({**TINY, "training": training}))
    assert main(["run", str(other), "--out", str(tiny_run), "--no-progress"]) == 2
    assert "holds finished runs that differ from this config in training.lr" in (
        capsys.readouterr().err
    )


def test_help_imports_neither_torch_nor_avalanche():
    code = (
        "import sys\n"
        "from experiments.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules and 'avalanche' not in sys.modules, 'heavy import'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "usage: alcl" in done.stdout
