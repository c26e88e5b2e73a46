"""A repeated stream (thesis layer accumulation) runs end to end: one plain block per round."""

from __future__ import annotations

import json

from experiments.config import config_from_dict
from experiments.runner import run_experiment

CONFIG = {
    "name": "layers",
    "seeds": [0],
    "device": "cpu",
    "threads": 1,
    "stream": {"dataset": "wine", "kind": "repeated", "n_experiences": 3},
    "model": {"widths": [16, 16], "label_dim": 8},
    "training": {"epochs": 2, "batch_size": 32},
    "adaptive": {"latency_repeats": 0},
    "strategies": ["al", "bp-grow", "naive"],
}


def test_repeated_stream_grows_plain_blocks_and_writes_every_file(tmp_path):
    folder = run_experiment(config_from_dict(CONFIG), out=tmp_path, progress=False, plots=False)
    al = json.loads((folder / "metrics" / "al__seed0.json").read_text())
    assert [len(row) for row in al["al"]["exit_accuracy"]] == [1, 2, 3]
    assert al["al"]["block_columns"][1:] == [0, 0]  # rounds 2 and 3 release no columns
    for name in ("al", "bp-grow", "naive"):
        record = json.loads((folder / "metrics" / f"{name}__seed0.json").read_text())
        assert len(record["model_fingerprint"]) == 16
        assert len(record["curves"]["avg_accuracy"]) == 3
