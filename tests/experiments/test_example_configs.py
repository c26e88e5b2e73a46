"""Every example config builds its stream, on small files in the real formats instead of the data."""

from __future__ import annotations

import dataclasses

import pytest

from experiments.config import CONFIG_DIR, load_config
from experiments.runner import build_stream
from experiments.stream_config import DATASETS
from tests.streams.formats import news_rows, write_cifar10, write_cifar100, write_csv, write_mnist

WRITERS = {
    "mnist": lambda root: write_mnist(root / "MNIST" / "raw", n_train=400, n_test=80),
    "fashion_mnist": lambda root: write_mnist(
        root / "FashionMNIST" / "raw", n_train=400, n_test=80
    ),
    "cifar10": lambda root: write_cifar10(root, per_batch=40),
    "cifar100": write_cifar100,
}


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_example_config_builds_its_stream(path, tmp_path):
    cfg = load_config(path).stream
    if cfg.dataset in DATASETS["image"]:
        WRITERS[cfg.dataset](tmp_path)
        cfg = dataclasses.replace(cfg, data_root=str(tmp_path), download=False)
    elif cfg.dataset in DATASETS["text"]:
        fake = write_csv(tmp_path / "n.csv", news_rows(240), ["label", "title", "description"])
        cfg = dataclasses.replace(cfg, path=str(fake), download=False)
    stream = build_stream(cfg, seed=0)
    assert stream.n_experiences == cfg.n_experiences and stream.kind == cfg.kind
    assert all(len(rows) for rows in stream.rows["train"])
