"""AL with ``impute``: absent cells of shown columns read their training mean, so rows of a
haphazard or obsolete stream reach every block; everything else stays as it was."""

from __future__ import annotations

import math

import pytest
import torch

from alcl.network import FILL_COUNT, FILL_SUM
from experiments.config import ConfigError, config_from_dict
from experiments.runner import run_one
from streams import build_stream, load_stream_data
from tests.alcl.helpers import grown_network
from tests.experiments.helpers import resumed_run, without_timings

NAN = math.nan


def test_absent_cells_read_the_mean_of_the_shown_training_cells():
    net, _ = grown_network([[0, 1, 2, 3], [4, 5, 6, 7]])
    assert FILL_SUM not in net.state_dict()  # a stack that never imputes keeps its state_dict
    x = torch.full((4, 8), NAN)
    x[:, :2] = torch.tensor([[1.0, 2.0], [3.0, NAN], [5.0, 6.0], [NAN, 8.0]])
    x[:, 4] = torch.tensor([2.0, NAN, NAN, NAN])
    net.observe_shown(x)
    rows = torch.full((2, 8), NAN)
    rows[0, 1] = 9.0
    filled = net.inputs(rows)
    torch.testing.assert_close(filled[:, 0], torch.tensor([3.0, 3.0]))  # mean of 1, 3, 5
    torch.testing.assert_close(filled[:, 1], torch.tensor([9.0, 16.0 / 3]))  # shown stays
    torch.testing.assert_close(filled[:, 4], torch.tensor([2.0, 2.0]))
    assert torch.isnan(filled[:, 2]).all()  # never shown: still absent
    fresh, _ = grown_network([[0, 1, 2, 3], [4, 5, 6, 7]])
    fresh.load_state_dict(net.state_dict())  # the means travel with the checkpoint
    torch.testing.assert_close(fresh.inputs(rows), filled, equal_nan=True)
    assert torch.equal(net._buffers[FILL_COUNT][:2], torch.tensor([3.0, 3.0], dtype=torch.float64))


CONFIG = {
    "seeds": [0],
    "device": "cpu",
    "threads": 1,
    "stream": {"dataset": "breast_cancer", "grouping": "obsolete", "n_experiences": 3,
               "base_features": 2, "lifetime": 1},
    "model": {"widths": [16, 16], "label_dim": 8},
    "training": {"epochs": 3, "batch_size": 32},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    "strategies": [{"name": "al", "impute": True}],
}  # fmt: skip


def test_al_imputes_on_an_obsolete_stream_and_resumes_bit_for_bit(tmp_path, monkeypatch):
    cfg = config_from_dict(CONFIG)
    stream = build_stream(load_stream_data(cfg.stream), cfg.stream, 0)
    x, _ = stream.arrays("test", 2)
    assert torch.isnan(torch.as_tensor(x[:, 2:12])).all()  # the first group has vanished
    whole = run_one(cfg, 0, 0, stream, "cpu")
    assert len(whole.accuracy_matrix) == 3 and whole.final["avg_accuracy"] > 0.6
    assert whole.al.adaptive is not None  # calibrated on rows that lack old columns
    resumed = resumed_run(cfg, 0, stream, tmp_path, monkeypatch, done=2)
    assert resumed.model_fingerprint == whole.model_fingerprint
    assert without_timings(resumed) == without_timings(whole)


def test_al_without_impute_is_refused_on_a_stream_that_hides_cells():
    with pytest.raises(ConfigError, match="for al set impute: true"):
        config_from_dict({**CONFIG, "strategies": ["al"]})
