"""Checkpoint files: plain data only, crafted files refused, random state restored exactly."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
import torch

from alcl.state.checkpoint import (
    CheckpointError,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
    weights_fingerprint,
)
from tests.experiments.helpers import CodeRunningPickle


def test_a_checkpoint_crafted_to_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump(
            {"format": "alcl-checkpoint", "version": 1, "x": CodeRunningPickle(marker)}, handle
        )
    with pytest.raises(CheckpointError, match="not plain data.*refused.*Delete it"):
        load_checkpoint(path)
    assert not marker.exists()
    torch.save({"payload": CodeRunningPickle(marker)}, path)  # the same through torch.save's format
    with pytest.raises(CheckpointError, match="refused") as refused:
        load_checkpoint(path)
    assert not marker.exists()
    assert "weights_only" not in str(refused.value)  # no advice to load it unsafely


def test_random_bytes_are_a_damaged_file_not_code(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(path)
    message = str(refused.value)
    assert "damaged or not an alcl checkpoint" in message and "Delete it" in message
    assert "run code" not in message and "weights_only" not in message
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(
        CheckpointError, match=r"empty.pt cannot be read as a checkpoint \(0 bytes\)"
    ):
        load_checkpoint(tmp_path / "empty.pt")


def test_round_trip_of_plain_data_and_what_is_not_a_checkpoint(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", {"w": torch.arange(3.0), "meta": [1, "a", None]})
    data = load_checkpoint(path)
    assert torch.equal(data["w"], torch.arange(3.0)) and data["meta"] == [1, "a", None]
    assert not list(tmp_path.glob(".*.tmp"))
    torch.save({"w": torch.ones(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not an alcl checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(tmp_path / "cut.pt")


def test_random_state_is_restored_for_torch_numpy_and_python():
    def draws():
        return (
            torch.rand(3).tolist(),
            np.random.rand(3).tolist(),
            random.random(),
            random.gauss(0, 1),
        )

    torch.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    random.gauss(0, 1)  # leaves a cached Gaussian in Python's state
    state = rng_state()
    first = draws()
    set_rng_state(state)
    assert draws() == first
    set_rng_state(rng_state())  # a state survives the round trip through plain tensors
    assert draws() != first


def test_weights_fingerprint_sees_one_changed_bit():
    model = torch.nn.Linear(3, 2)
    before = weights_fingerprint(model)
    assert weights_fingerprint(model) == before
    with torch.no_grad():
        model.weight.view(-1)[0] = torch.nextafter(model.weight.view(-1)[0], torch.tensor(9.0))
    assert weights_fingerprint(model) != before


def test_weights_fingerprint_reads_empty_and_stride_0_tensors():
    """A block of plain layer accumulation reads no columns; a stream may hand it an empty
    NumPy row with stride 0 (a row of an (n, 0) array), which a byte view refuses."""
    stride_0 = np.zeros((2, 0), dtype=np.int64)[0]
    model = torch.nn.Module()
    model.register_buffer("columns", torch.as_tensor(stride_0, dtype=torch.long).flatten())
    model.register_buffer("expanded", torch.tensor([7]).expand(3))
    assert model.columns.stride() == (0,) and model.expanded.stride() == (0,)
    plain = torch.nn.Module()
    plain.register_buffer("columns", torch.zeros(0, dtype=torch.long))
    plain.register_buffer("expanded", torch.tensor([7, 7, 7]))
    assert weights_fingerprint(model) == weights_fingerprint(plain)
