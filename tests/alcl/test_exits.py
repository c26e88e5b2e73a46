"""The per-exit accuracy metric works inside a user's own EvaluationPlugin, counts only the rows
that reach each exit, and leaves models without exits alone."""

from __future__ import annotations

import torch
from avalanche.training.plugins import EvaluationPlugin

from alcl import inference
from alcl.evaluation.exits import ExitAccuracy
from streams import StreamConfig, build_stream
from tests.alcl.helpers import build
from tests.conftest import blobs


def _trained(name: str, evaluator=None):
    stream = build_stream(blobs(), StreamConfig(n_experiences=2), seed=3)
    strategy = build(name, {}, stream.n_features, stream.n_classes, (16, 16), evaluator,
                     label_dim=6, epochs=10, batch_size=16, lr=0.01)  # fmt: skip
    for experience in stream.train_stream:
        strategy.train(experience)
    return strategy, stream


def test_exit_accuracy_in_a_users_evaluation_plugin_matches_the_shortcuts():
    metric = ExitAccuracy()
    strategy, stream = _trained("al", EvaluationPlugin(metric, loggers=[]))
    strategy.eval(stream.view("test", upto=1))
    last = strategy.evaluator.get_last_metrics()
    logged = [last[k] for k in sorted(last) if k.startswith("Top1_Acc_Exit")]
    x, y = (torch.as_tensor(a) for a in stream.arrays("test", 0, upto=1))
    x1, y1 = (torch.as_tensor(a) for a in stream.arrays("test", 1, upto=1))
    x, y = torch.cat([x, x1]), torch.cat([y, y1])
    with torch.no_grad():
        exits = inference.all_exits(strategy.model, x)
    direct = [int((e.argmax(1) == y).sum()) / len(y) for e in exits]
    assert len(logged) == 2 and metric.result() == logged
    assert logged == direct and max(direct) > 0.5  # trained: well above chance (1/3)
    first = metric.result(upto=0)  # the first test set alone
    assert first is not None and len(first) == 2 and first != metric.result()


def test_as_released_rows_count_only_at_the_exits_they_reach():
    metric = ExitAccuracy()
    strategy, stream = _trained("al", EvaluationPlugin(metric, loggers=[]))
    strategy.eval(stream.test_stream)  # test set 0 lacks the columns block 2 reads
    n0 = len(stream.arrays("test", 0)[1])
    n1 = len(stream.arrays("test", 1)[1])
    assert metric.total[0] == [n0, 0] and metric.total[1] == [n1, n1]


def test_a_model_without_exits_leaves_it_empty():
    metric = ExitAccuracy()
    strategy, stream = _trained("naive", EvaluationPlugin(metric, loggers=[]))
    strategy.eval(stream.test_stream)
    assert metric.result() is None
