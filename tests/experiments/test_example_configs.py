"""Every example config builds its stream, and the models of all its strategies, on small files
in the real formats instead of the data."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from experiments.config import CONFIG_DIR, load_config
from experiments.runner import problem_of
from streams import DATASETS, build_stream, load_stream_data
from tests.streams.formats import (
    news_rows,
    text_rows,
    write_cifar10,
    write_cifar100,
    write_csv,
    write_mnist,
)

WRITERS = {
    "mnist": lambda root: write_mnist(root / "MNIST" / "raw", n_train=400, n_test=80),
    "fashion_mnist": lambda root: write_mnist(
        root / "FashionMNIST" / "raw", n_train=400, n_test=80
    ),
    "cifar10": lambda root: write_cifar10(root, per_batch=40, n_test=80),
    "cifar100": lambda root: write_cifar100(root, n_train=1000, n_test=200),
}
TEXTS = {
    "ag_news": lambda path: write_csv(path, news_rows(240), ["label", "title", "description"]),
    "dbpedia_14": lambda path: write_csv(
        path, text_rows(280, 14, 2), ["label", "title", "content"]
    ),
    "imdb": lambda path: write_csv(path, text_rows(240, 2, 1), ["label", "text"]),
}
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


def _stream(path, tmp_path):
    cfg = load_config(path)
    # the fake files are small: a validation share fit for the real data may leave a class out
    stream_cfg = dataclasses.replace(
        cfg.stream, valid_fraction=max(cfg.stream.valid_fraction, 0.25)
    )
    if stream_cfg.dataset in DATASETS["image"]:
        WRITERS[stream_cfg.dataset](tmp_path)
        stream_cfg = dataclasses.replace(stream_cfg, data_root=str(tmp_path), download=False)
    elif stream_cfg.dataset in DATASETS["text"]:
        fake = TEXTS[stream_cfg.dataset](tmp_path / "texts.csv")
        stream_cfg = dataclasses.replace(stream_cfg, path=str(fake), download=False)
    return cfg, stream_cfg, build_stream(load_stream_data(stream_cfg), stream_cfg, seed=0)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_example_config_builds_its_stream(path, tmp_path):
    _, cfg, stream = _stream(path, tmp_path)
    assert stream.n_experiences == cfg.n_experiences and stream.kind == cfg.kind
    assert all(len(rows) for rows in stream.rows["train"])


@pytest.mark.parametrize(
    "path", [p for p in CONFIGS if p.stem.startswith("thesis_")], ids=lambda p: p.stem
)
def test_thesis_config_builds_every_strategys_model_on_its_backbone(path, tmp_path):
    from alcl.registry import build_strategy

    cfg, _, stream = _stream(path, tmp_path)
    experience = stream.train_stream[0]
    x, y = (torch.as_tensor(a[:4]) for a in stream.arrays("train", 0))
    for entry in cfg.strategies:
        if entry.name == "joint":
            continue  # the same model as naive, trained once
        strategy = build_strategy(
            entry.name, entry.params, problem_of(stream), cfg.model, cfg.training
        )
        model = strategy.model
        if hasattr(strategy, "growth"):
            strategy.growth.grow(model, experience.new_columns)
        model.eval()
        with torch.no_grad():
            assert model(x).shape == (4, stream.n_classes), entry.key
