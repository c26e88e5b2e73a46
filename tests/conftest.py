"""Shared test fixtures: tiny data the tests build themselves, or scikit-learn's embedded sets."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from streams import TabularData, from_arrays

# The tests' models are tiny: one thread runs them fastest, and several threads
# on a busy machine wait on each other (the suite ran 5x slower with two).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def _no_network_and_no_system_data(monkeypatch, tmp_path) -> None:
    """No test downloads, reads the hub, or finds data installed on this machine."""
    import streams.images

    monkeypatch.setattr(streams.images, "SYSTEM_DIRS", {})
    monkeypatch.setattr(
        streams.images, "_download", lambda name, root: "downloads are off in tests"
    )
    monkeypatch.setitem(sys.modules, "datasets", None)  # `import datasets` fails
    monkeypatch.setenv("ALCL_DATA", str(tmp_path / "alcl-data"))


def blobs(
    n_per_class: int = 40, n_features: int = 8, n_classes: int = 3, seed: int = 0
) -> TabularData:
    """Well-separated Gaussian blobs: every column carries some class signal."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(n_classes, n_features))
    y = np.repeat(np.arange(n_classes), n_per_class)
    x = centers[y] + rng.normal(0, 1, size=(len(y), n_features))
    return from_arrays(x, y, name="blobs")


@pytest.fixture
def tiny_data() -> TabularData:
    return blobs()
