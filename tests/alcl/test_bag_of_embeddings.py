"""bag-of-embeddings: fastText's mean of token embeddings and a linear layer, for token streams."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from alcl.results import files as results
from experiments.config import ConfigError, config_from_dict
from experiments.runner import build_stream, problem_of, run_experiment
from tests.streams.formats import news_rows, write_csv

HEADER = ["label", "title", "description"]


def _config(path, **changes):
    return {
        "seeds": [0],
        "device": "cpu",
        "stream": {
            "dataset": "ag_news",
            "path": str(path),
            "grouping": "fields",
            "n_experiences": 2,
            "encoding": "tokens",
            "max_length": 12,
            "vocab_size": 60,
        },
        "model": {"widths": [16, 16], "label_dim": 8, "backbone": "transformer"},
        "training": {"epochs": 2},
        "adaptive": {"latency_repeats": 0},
        "strategies": ["al", "bag-of-embeddings"],
        **changes,
    }


def test_it_is_the_mean_of_the_token_embeddings_then_a_linear_layer(tmp_path):
    from alcl.registry import build_strategy

    path = write_csv(tmp_path / "news.csv", news_rows(80), HEADER)
    cfg = config_from_dict(_config(path))
    stream = build_stream(cfg.stream, 0)
    strategy = build_strategy("bag-of-embeddings", {}, problem_of(stream), cfg.model, cfg.training)
    net = strategy.model
    embeddings = [m for m in net.modules() if isinstance(m, nn.Embedding)]
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(embeddings) == 1 and embeddings[0].embedding_dim == 16
    assert len(linears) == 1 and linears[0] is net.head  # no hidden layer, no attention
    ids = torch.tensor([[5.0, 7.0, 0.0] + [float("nan")] * (stream.n_features - 3)])
    mean = embeddings[0](torch.tensor([5, 7])).mean(dim=0)  # padding and absent: masked out
    torch.testing.assert_close(net(ids)[0], net.head(mean))


def test_it_runs_on_a_token_stream_and_is_refused_elsewhere(tmp_path):
    path = write_csv(tmp_path / "news.csv", news_rows(80), HEADER)
    folder = run_experiment(
        config_from_dict(_config(path)), out=tmp_path / "out", progress=False, plots=False
    )
    runs = {r.strategy: r for r in results.load_runs(folder)}
    assert 0.0 <= runs["bag-of-embeddings"].final["avg_accuracy"] <= 1.0
    assert runs["bag-of-embeddings"].n_parameters < runs["al"].n_parameters
    with pytest.raises(ConfigError, match=r"bag-of-embeddings\) builds on 'bag', which reads"):
        config_from_dict({"strategies": ["bag-of-embeddings"]})  # digits: no tokens
