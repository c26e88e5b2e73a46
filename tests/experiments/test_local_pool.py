"""Runs in forked workers (`jobs`): the same numbers as in turn, the progress heard, errors
raised in the parent as one line, and sweeps without Ray."""

from __future__ import annotations

import sys

import pytest
import yaml

from experiments import local_pool
from experiments.cli import main
from experiments.config import config_from_dict
from experiments.runner import run_and_save, run_experiment
from tests.experiments.helpers import metrics_of

TINY = {
    "name": "pool",
    "seeds": [0, 1],
    "device": "cpu",
    "threads": 1,
    "stream": {"dataset": "wine", "n_experiences": 3},
    "model": {"widths": [16, 16, 16], "label_dim": 8},
    "training": {"epochs": 3, "batch_size": 32, "lr": 0.01},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    "strategies": ["al", "naive", "joint"],
}

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")


@linux_only
def test_runs_in_forked_workers_compute_the_same_numbers_as_in_turn(tmp_path):
    one = run_experiment(config_from_dict(TINY), tmp_path / "one", progress=False)
    two = run_experiment(config_from_dict({**TINY, "jobs": 2}), tmp_path / "two", progress=False)
    assert len(metrics_of(one)) == 6 and metrics_of(one) == metrics_of(two)
    assert (two / "summary.csv").read_text().count("\n") == 7  # header + 6 runs
    assert {p.name for p in (two / "figures").glob("*.png")} == {
        p.name for p in (one / "figures").glob("*.png")
    }


@linux_only
def test_the_parent_hears_every_experience_and_every_run(tmp_path):
    cfg = config_from_dict({**TINY, "seeds": [0], "strategies": ["al", "naive"]})
    from experiments.runner import build_stream

    stream = build_stream(cfg.stream, 0)
    tasks = [local_pool.Task(cfg, tmp_path, i, 0, stream, "cpu") for i in range(2)]
    (tmp_path / "metrics").mkdir()
    heard, done = [], []
    local_pool.run_tasks(
        tasks,
        2,
        run_and_save,
        lambda t: heard.append(t.strategy_index),
        lambda t, ran: done.append(ran),
    )
    assert sorted(heard) == [0, 0, 0, 1, 1, 1] and done == [True, True]
    done.clear()
    local_pool.run_tasks(tasks, 2, run_and_save, on_done=lambda t, ran: done.append(ran))
    assert done == [False, False]  # finished: skipped


@linux_only
def test_an_error_in_a_worker_reaches_the_command_line_as_one_line(tmp_path, capsys, monkeypatch):
    import experiments.runner as runner

    original = runner.run_one

    def failing(cfg, index, *args, **kwargs):
        if cfg.strategies[index].name == "naive":
            from experiments.config import ConfigError

            raise ConfigError("naive cannot run here: a test's failure")
        return original(cfg, index, *args, **kwargs)

    monkeypatch.setattr(runner, "run_one", failing)  # the workers fork with it
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({**TINY, "jobs": 2}))
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "alcl: error: naive cannot run here: a test's failure"
    assert not list((tmp_path / "out" / "metrics").glob("naive*"))


def test_how_many_workers():
    assert local_pool.workers_for(4, 2, "cpu") == (2 if sys.platform.startswith("linux") else 1)
    assert local_pool.workers_for(3, 10, "cuda:0") == 1
    assert local_pool.workers_for(1, 10, "cpu") == 1
    if sys.platform.startswith("linux"):
        assert local_pool.workers_for(0, 100, "cpu") == len(__import__("os").sched_getaffinity(0))


def test_jobs_is_checked_with_its_fix():
    from experiments.config import ConfigError

    with pytest.raises(ConfigError, match=r"jobs must be >= 0 \(0: one run per CPU core\)"):
        config_from_dict({**TINY, "jobs": -1})


@linux_only
def test_a_sweep_runs_on_forked_workers_without_ray(tmp_path, capsys):
    config = tmp_path / "s.yaml"
    config.write_text(
        yaml.safe_dump({**TINY, "seeds": [0], "sweep": {"training.lr": [0.01, 0.03]}})
    )
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--jobs", "2", "--no-progress"]) == 0
    runs = sorted(p.relative_to(out).as_posix() for p in out.glob("*/metrics/*.json"))
    assert len(runs) == 6 and (out / "summary.csv").is_file()
    assert all((p.parent / "figures" / "accuracy.png").is_file() for p in out.glob("*/config.yaml"))
    assert main(["sweep", str(config), "--out", str(out), "--jobs", "2", "--num-cpus", "2"]) == 2
    assert "--jobs runs without Ray" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    out = []
    for status in __import__("pathlib").Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue
        if fields.get("PPid", "").strip() == str(pid):
            out.append(int(status.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in (__import__("pathlib").Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return False


@linux_only
def test_workers_end_with_a_killed_parent_and_the_run_resumes_to_the_same_numbers(tmp_path):
    import os
    import signal
    import subprocess
    import time

    cfg = {**TINY, "training": {**TINY["training"], "epochs": 40}}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({**cfg, "jobs": 2}))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "experiments.cli", "run", str(config), "--out", str(out)]
    proc = subprocess.Popen([*command, "--no-progress"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list((out / "checkpoints").glob("*.pt")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        workers = _children(proc.pid)
        assert workers  # the forked workers
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers):
        assert time.monotonic() < deadline, "a worker outlived its killed parent"
        time.sleep(0.05)
    assert main(["run", "--resume", "--out", str(out), "--no-progress"]) == 0
    reference = run_experiment(config_from_dict(cfg), tmp_path / "ref", progress=False)
    assert metrics_of(out) == metrics_of(reference)
