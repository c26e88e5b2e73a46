"""Resume: every registered strategy, stopped after an experience and resumed with fresh objects,
ends exactly where the uninterrupted run ends (metrics and final weights, bit for bit on CPU)."""

from __future__ import annotations

import pytest
import torch

from alcl.registry import strategies
from experiments.config import config_from_dict
from experiments.runner import run_one
from streams import build_stream, load_stream_data
from tests.experiments.helpers import run_until_checkpoint, without_timings

# every strategy that reads tables (bag-of-embeddings reads token ids: its own tests); wine
# has 3 classes, so a binary one (OLSF) resumes on breast cancer
STRATEGIES = {name: e for name, e in strategies().items() if not e.backbone}
BINARY = {name for name, e in STRATEGIES.items() if e.two_classes}
SMALL_MEMORY = {"replay": {"mem_size": 20}, "der": {"mem_size": 20}}
SMALL_MEMORY |= {name: {"patterns_per_exp": 10} for name in ("gem", "agem")}
CONFIG = {
    "seeds": [0],
    "device": "cpu",
    "stream": {"dataset": "wine", "n_experiences": 3},
    "model": {"widths": [8, 8], "label_dim": 4},
    "training": {"epochs": 3, "batch_size": 16, "lr": 0.01},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    "strategies": [{"name": name, **SMALL_MEMORY.get(name, {})} for name in sorted(STRATEGIES)],
}


@pytest.fixture(scope="module")
def setting():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    cfg = config_from_dict(CONFIG)
    binary = config_from_dict(
        {**CONFIG, "stream": {"dataset": "breast_cancer", "n_experiences": 3}}
    )
    streams = {
        c.stream.dataset: build_stream(load_stream_data(c.stream), c.stream, 0)
        for c in (cfg, binary)
    }
    yield {False: (cfg, streams["wine"]), True: (binary, streams["breast_cancer"])}
    torch.set_num_threads(threads)


@pytest.mark.parametrize("index", range(len(STRATEGIES)), ids=sorted(STRATEGIES))
def test_a_stopped_and_resumed_run_equals_the_uninterrupted_one(
    setting, index, tmp_path, monkeypatch
):
    cfg, stream = setting[sorted(STRATEGIES)[index] in BINARY]
    trains_once = STRATEGIES[cfg.strategies[index].name].trains_once
    stop_after = 1  # the first of 3 experiences (Joint: its only one, so it resumes finished)
    uninterrupted = run_one(cfg, index, 0, stream, "cpu")
    checkpoint = tmp_path / "run.pt"
    run_until_checkpoint(cfg, index, stream, checkpoint, monkeypatch, done=stop_after)
    assert checkpoint.is_file()

    resumed = run_one(cfg, index, 0, stream, "cpu", checkpoint=checkpoint)  # fresh objects
    assert resumed.model_fingerprint == uninterrupted.model_fingerprint
    assert without_timings(resumed) == without_timings(uninterrupted)
    assert len(resumed.accuracy_matrix) == (1 if trains_once else 3)


def test_al_killed_after_its_last_experience_resumes_to_the_calibration(
    setting, tmp_path, monkeypatch
):
    """A checkpoint after the last experience: only AL's compute and calibration step remain."""
    cfg, stream = setting[False]
    index = sorted(STRATEGIES).index("al")
    uninterrupted = run_one(cfg, index, 0, stream, "cpu")
    checkpoint = tmp_path / "al.pt"
    run_until_checkpoint(cfg, index, stream, checkpoint, monkeypatch, done=3)
    resumed = run_one(cfg, index, 0, stream, "cpu", checkpoint=checkpoint)
    assert resumed.al.adaptive["threshold"] == uninterrupted.al.adaptive["threshold"]
    assert without_timings(resumed) == without_timings(uninterrupted)
