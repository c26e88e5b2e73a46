"""Sweeps: expansion of a config's sweep section, and a sweep on a local Ray instance (2 CPUs)
that finishes, aggregates, reports a failed run without stopping the others, and resumes."""

from __future__ import annotations

import csv
import json

import pytest

from alcl.results import files as results
from experiments.config import ConfigError
from experiments.sweep import expand_sweep
from experiments.sweep_runner import FAILURES_FILE, run_sweep

BASE = {
    "name": "tiny-sweep",
    "seeds": [0],
    "device": "cpu",
    "stream": {"dataset": "wine", "n_experiences": 2},
    "model": {"widths": [8, 8], "label_dim": 4},
    "training": {"epochs": 1, "batch_size": 32},
    "adaptive": {"latency_repeats": 0},
    "strategies": ["naive", {"name": "replay", "mem_size": 20}],
}


def test_a_sweep_section_expands_into_the_product_of_its_values(tmp_path):
    data = {
        **BASE,
        "sweep": {"training.lr": [0.001, 0.003], "strategies.replay.mem_size": [10, 30]},
    }
    sweep = expand_sweep(data, out=tmp_path)
    assert [v.name for v in sweep.variants] == [
        "training.lr=0.001,strategies.replay.mem_size=10",
        "training.lr=0.001,strategies.replay.mem_size=30",
        "training.lr=0.003,strategies.replay.mem_size=10",
        "training.lr=0.003,strategies.replay.mem_size=30",
    ]
    last = sweep.variants[-1].config
    assert last.training.lr == 0.003 and last.strategies[1].params == {"mem_size": 30}
    assert last.output == str(tmp_path / sweep.variants[-1].name)
    assert len(sweep.runs()) == 4 * 2  # variants x strategies x seeds
    single = expand_sweep(BASE, out=tmp_path)
    assert [v.name for v in single.variants] == ["tiny-sweep"] and len(single.runs()) == 2


@pytest.mark.parametrize(
    "axes, message",
    [
        ({"training.lr": 0.001}, r"sweep\.training\.lr must be a non-empty list"),
        ({"training.lr": []}, r"non-empty list"),
        (
            {"training.lrate": [0.1]},
            r"sweep variant training\.lrate=0\.1: unknown key training\.lrate",
        ),
        (
            {"stream.dataset": ["wine", "mnist3"]},
            r"variant stream\.dataset=mnist3: stream\.dataset must be",
        ),
        ({"strategies": [["naive", "ewc2"]]}, r"unknown strategy 'ewc2'"),
        ({"strategies.lwf.alpha": [1.0]}, r"no strategy labelled or named 'lwf'"),
    ],
)
def test_bad_sweeps_are_rejected_naming_the_variant_and_key(axes, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        expand_sweep({**BASE, "sweep": axes}, out=tmp_path)


def test_alcl_run_points_a_sweep_config_to_alcl_sweep():
    from experiments.config import config_from_dict

    with pytest.raises(ConfigError, match="alcl sweep"):
        config_from_dict({**BASE, "sweep": {"training.lr": [0.1]}})


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


def test_a_sweep_on_local_ray_finishes_aggregates_reports_failures_and_resumes(local_ray, tmp_path):
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    good = tmp_path / "wine.csv"
    good.write_text(
        "\n".join(",".join([*map(str, row), str(c)]) for row, c in zip(x, y, strict=True))
    )
    gone = tmp_path / "gone.csv"  # a variant whose data is missing: its tasks fail, others run
    stream = {**BASE["stream"], "dataset": "csv"}
    data = {**BASE, "stream": stream, "sweep": {"stream.path": [str(good), str(gone)]}}
    sweep = expand_sweep(data, out=tmp_path / "sweep")
    names = [v.name for v in sweep.variants]
    result = run_sweep(sweep, progress=False, plots=False)

    assert (result.finished, result.skipped, len(result.failures)) == (2, 0, 2)
    failures = json.loads((sweep.root / FAILURES_FILE).read_text())
    assert {(f["variant"], f["strategy"]) for f in failures} == {
        (names[1], "naive"),
        (names[1], "replay"),
    }
    assert all("does not exist" in f["error"] for f in failures)
    assert f"FAILED {names[1]} / naive seed 0: DataError" in result.report()

    with open(sweep.root / results.AGGREGATE_CSV) as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["variant"], r["strategy"]) for r in rows] == [
        (names[0], "naive"),
        (names[0], "replay"),
    ]
    folder = sweep.variants[0].folder
    run = json.loads((folder / "metrics" / "naive__seed0.json").read_text())
    assert float(rows[0]["avg_accuracy"]) == pytest.approx(run["final"]["avg_accuracy"])
    assert (folder / "summary.csv").is_file()
    assert (folder / "logs" / "naive__seed0" / "training_results.csv").is_file()
    assert f"| {names[0]} | naive | 1 |" in (sweep.root / results.AGGREGATE_MD).read_text()

    again = run_sweep(sweep, progress=False, plots=False)  # finished runs are skipped
    assert (again.finished, again.skipped, len(again.failures)) == (0, 2, 2)


def test_every_example_sweep_expands(tmp_path):
    from experiments.config import CONFIG_DIR
    from experiments.sweep import load_sweep

    paths = sorted((CONFIG_DIR / "sweeps").glob("*.yaml"))
    assert paths
    for path in paths:
        sweep = load_sweep(path, out=tmp_path)
        assert len(sweep.variants) > 1 and sweep.runs()


def test_the_sweep_command_checks_its_options(tmp_path, capsys):
    from experiments.cli import main

    path = tmp_path / "s.yaml"
    path.write_text("seeds: [0]\n")
    assert main(["sweep", str(path), "--address", "auto", "--num-cpus", "2"]) == 2
    assert "--num-cpus sizes a local Ray instance" in capsys.readouterr().err
