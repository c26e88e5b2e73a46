"""Avalanche's loggers per run: text and CSV always, TensorBoard on request; logs only observe."""

from __future__ import annotations

import csv

from alcl.results.logs import RunLogs
from alcl.training.loop import ITERATION_EVENTS, listens
from experiments.config import config_from_dict
from experiments.runner import run_one
from streams import build_stream, load_stream_data
from tests.experiments.helpers import without_timings

CONFIG = {
    "seeds": [0],
    "device": "cpu",
    "stream": {"dataset": "wine", "n_experiences": 2},
    "model": {"widths": [8, 8], "label_dim": 4},
    "training": {"epochs": 3, "batch_size": 32},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5]},
    "logging": {"tensorboard": True},
    "strategies": ["al", "naive"],
}


def test_runs_log_text_csv_and_tensorboard_and_compute_the_same_numbers(tmp_path):
    cfg = config_from_dict(CONFIG)
    stream = build_stream(load_stream_data(cfg.stream), cfg.stream, 0)
    for index, name in enumerate(["al", "naive"]):
        quiet = run_one(cfg, index, 0, stream, "cpu")
        logged = run_one(cfg, index, 0, stream, "cpu", logs=tmp_path / name)
        assert without_timings(logged) == without_timings(quiet)
        with open(tmp_path / name / "training_results.csv") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 2 * 3  # experiences x epochs
        assert all(0.0 <= float(r["training_accuracy"]) <= 1.0 for r in rows)
        assert float(rows[-1]["training_loss"]) > 0
        with open(tmp_path / name / "eval_results.csv") as handle:
            assert len(list(csv.DictReader(handle))) > 0
        assert "Top1_Acc_Epoch/train_phase" in (tmp_path / name / "log.txt").read_text()
        assert list((tmp_path / name / "tensorboard").glob("events.out.tfevents.*"))


def test_the_fast_loop_hands_an_evaluator_only_the_events_its_metrics_use(tmp_path):
    logs = RunLogs(tmp_path)
    try:
        heard = [event for event in ITERATION_EVENTS if listens(logs.evaluator, event)]
    finally:
        logs.close()
    assert heard == ["before_training_iteration", "after_training_iteration"]


def test_a_resumed_run_keeps_the_csv_rows_of_the_first_attempt(tmp_path):
    with RunLogs(tmp_path) as logs:
        print("0,1,0.5,0,0.7,0", file=logs.csv.training_file)
    with RunLogs(tmp_path, note="-- resumed --"):
        pass
    lines = (tmp_path / "training_results.csv").read_text().splitlines()
    assert lines[0].startswith("training_exp,epoch") and lines[1] == "0,1,0.5,0,0.7,0"
    assert len(lines) == 2
    assert "-- resumed --" in (tmp_path / "log.txt").read_text()
