"""Crash safety: a run killed with SIGKILL mid-experiment resumes to the uninterrupted results and
leaves no truncated file; the same config twice gives bit-identical metrics; checkpoints that
would run code are refused."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from alcl.state.checkpoint import load_checkpoint
from experiments.cli import main
from experiments.config import config_from_dict
from experiments.runner import run_experiment
from tests.experiments.helpers import CodeRunningPickle, metrics_of

TINY = {
    "name": "crash",
    "seeds": [0],
    "device": "cpu",
    "threads": 1,
    "stream": {"dataset": "wine", "n_experiences": 4},
    "model": {"widths": [16, 16], "label_dim": 8},
    "training": {"epochs": 25, "batch_size": 16},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    "strategies": ["naive", {"name": "replay", "mem_size": 20}, "al"],
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run."""
    out = tmp_path_factory.mktemp("reference") / "out"
    return run_experiment(config_from_dict(TINY), out=out, progress=False, plots=False)


def _kill_after_first_checkpoint(config: Path, out: Path) -> None:
    command = [sys.executable, "-m", "experiments.cli", "run", str(config), "--out", str(out)]
    proc = subprocess.Popen(
        [*command, "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not list((out / "checkpoints").glob("*.pt")):
            assert proc.poll() is None, "the run ended before writing a checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the next experience
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_a_run_killed_mid_experiment_resumes_to_the_uninterrupted_results(reference, tmp_path):
    config = tmp_path / "crash.yaml"
    config.write_text(yaml.safe_dump(TINY))
    out = tmp_path / "out"
    _kill_after_first_checkpoint(config, out)

    # What the killed run left is whole: every file parses, every checkpoint loads.
    assert not (out / "summary.csv").exists() or (out / "summary.csv").read_text().endswith("\n")
    for path in (out / "metrics").glob("*.json") if (out / "metrics").is_dir() else []:
        json.loads(path.read_text())
    checkpoints = list((out / "checkpoints").glob("*.pt"))
    assert checkpoints
    for path in checkpoints:
        assert load_checkpoint(path)["progress"]["R"]
    assert set(metrics_of(out)) < set(metrics_of(reference))  # unfinished
    log_path = out / "logs" / checkpoints[0].stem / "log.txt"
    killed_log = log_path.read_text()
    assert "Top1_Acc_Exp/eval_phase/test_stream" in killed_log  # experience 1 was evaluated

    assert main(["run", "--resume", "--out", str(out), "--no-progress"]) == 0
    assert metrics_of(out) == metrics_of(reference)
    assert not list(out.rglob("*.tmp")) and not list((out / "checkpoints").glob("*.pt"))
    assert (out / "figures" / "accuracy.png").is_file()
    log = log_path.read_text()
    assert log.startswith(killed_log)  # the killed attempt's lines stay, whole
    assert "-- resumed after experience" in log[len(killed_log) :]


def test_the_same_config_and_seed_give_bit_identical_metrics_twice(reference, tmp_path):
    again = run_experiment(
        config_from_dict(TINY), out=tmp_path / "again", progress=False, plots=False
    )
    first, second = metrics_of(reference), metrics_of(again)
    assert len(first) == 3 and first == second
    fingerprints = {
        json.loads(p.read_text())["model_fingerprint"] for p in (again / "metrics").glob("*")
    }
    assert len(fingerprints) == 3  # the strategies did learn different weights


def test_running_a_finished_folder_again_skips_every_run(reference, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in (reference / "metrics").glob("*.json")}
    run_experiment(config_from_dict(TINY), out=reference, progress=False, plots=False)
    after = {p.name: p.stat().st_mtime_ns for p in (reference / "metrics").glob("*.json")}
    assert after == before


def test_resume_refuses_a_checkpoint_crafted_to_run_code(tmp_path, capsys):
    cfg = {**TINY, "strategies": ["naive"], "training": {"epochs": 1}}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--no-progress"]) == 0
    (out / "metrics" / "naive__seed0.json").unlink()  # as if killed before it finished
    marker = tmp_path / "marker"
    (out / "checkpoints").mkdir(exist_ok=True)
    with open(out / "checkpoints" / "naive__seed0.pt", "wb") as handle:
        pickle.dump({"format": "alcl-checkpoint", "x": CodeRunningPickle(marker)}, handle)
    assert main(["run", str(config), "--out", str(out), "--no-progress"]) == 2
    assert "refused" in capsys.readouterr().err
    assert not marker.exists()


def test_resume_without_anything_to_resume_is_an_error(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["run", str(config), "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "holds no results of this configuration to resume" in capsys.readouterr().err
