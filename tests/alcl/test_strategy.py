"""ALStrategy inside Avalanche: growth, optimizer contents, routing, EvaluationPlugin."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch
from avalanche.core import SupervisedPlugin
from avalanche.evaluation.metrics import accuracy_metrics, loss_metrics
from avalanche.logging import TextLogger
from avalanche.training.plugins import EvaluationPlugin

from alcl import inference
from alcl.backbones import MLPBackbone
from alcl.config import ModelConfig
from alcl.evaluation.accuracy import ExperienceAccuracy, evaluate
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from alcl.strategy import ALStrategy
from alcl.training.optim import optimizer_factory
from streams import StreamConfig, build_stream
from tests.conftest import blobs


def _strategy(stream, evaluator=None, plugins=None, epochs=3):
    return ALStrategy(
        model=ALNetwork(stream.n_features, stream.n_classes),
        growth=GrowthRule(MLPBackbone((16, 16, 16)), ModelConfig(label_dim=8)),
        optimizer_factory=optimizer_factory("adam", 0.01),
        train_mb_size=16,
        train_epochs=epochs,
        eval_mb_size=64,
        evaluator=evaluator,
        plugins=plugins,
    )


@pytest.fixture
def stream():
    return build_stream(blobs(), StreamConfig(n_experiences=3))


def test_each_experience_freezes_old_blocks_and_optimizes_only_new_ones(stream):
    strategy = _strategy(stream)
    snapshots = []
    for t, exp in enumerate(stream.train_stream):
        strategy.train(exp, eval_streams=[])
        net = strategy.model
        assert net.depth == t + 1
        assert [b.frozen for b in net.blocks] == [True] * t + [False]
        optimized = {id(p) for g in strategy.optimizer.param_groups for p in g["params"]}
        assert optimized == {id(p) for p in net.blocks[-1].parameters()}
        assert set(net.blocks[-1].columns.tolist()) == set(exp.new_columns.tolist())
        for old, state in snapshots:
            assert all(torch.equal(state[k], old.state_dict()[k]) for k in state)
        snapshots.append(
            (net.blocks[-1], {k: v.clone() for k, v in net.blocks[-1].state_dict().items()})
        )


class LossLog(SupervisedPlugin):
    def __init__(self):
        super().__init__()
        self.losses = []

    def after_training_iteration(self, strategy, **kwargs):
        self.losses.append(float(strategy.loss.detach()))


def test_training_lowers_the_local_losses(stream):
    log = LossLog()
    strategy = _strategy(stream, plugins=[log], epochs=15)
    strategy.train(stream.train_stream[0], eval_streams=[])
    per_epoch = len(log.losses) // 15
    assert np.mean(log.losses[-per_epoch:]) < 0.7 * np.mean(log.losses[:per_epoch])


def test_evaluation_routes_each_experience_by_its_columns(stream):
    accuracy = ExperienceAccuracy()
    strategy = _strategy(stream, plugins=[accuracy])
    for exp in stream.train_stream:
        strategy.train(exp, eval_streams=[])
    net = strategy.model.eval()
    as_released = evaluate(strategy, stream.test_stream, accuracy)
    for j in range(3):
        x, y = (torch.as_tensor(a) for a in stream.arrays("test", j, upto=2))
        expected = (inference.shortcut(net, x, j + 1).argmax(1) == y).float().mean()
        assert as_released[j] == pytest.approx(float(expected))


def test_works_with_avalanche_evaluation_plugin_and_loggers(stream):
    log = io.StringIO()
    evaluator = EvaluationPlugin(
        accuracy_metrics(minibatch=True, epoch=True, experience=True, stream=True),
        loss_metrics(epoch=True, experience=True),
        loggers=[TextLogger(log)],
    )
    strategy = _strategy(stream, evaluator=evaluator, epochs=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for exp in stream.train_stream:
            strategy.train(exp, eval_streams=[])
        results = strategy.eval(stream.test_stream)
    accs = [v for k, v in results.items() if k.startswith("Top1_Acc_Exp/eval_phase/test_stream")]
    assert len(accs) == 3 and all(0.0 <= a <= 1.0 for a in accs)
    assert np.mean(accs) > 0.5  # the blobs are separable
    assert "Top1_Acc_Epoch/train_phase" in log.getvalue()


def test_bridge_hidden_gives_the_bridge_a_hidden_layer_and_zero_keeps_todays():
    import torch
    from torch import nn

    from alcl.backbones import BlockSpec
    from alcl.block import make_block

    def block(hidden):
        model = ModelConfig(label_dim=4, bridge_hidden=hidden)
        f = MLPBackbone((5,)).encoder(BlockSpec(0, None, torch.arange(3)))
        return make_block(f, nn.Identity(), 5, [0, 1, 2], 3, model, first=True)

    plain, wide = block(0), block(16)
    assert [type(m) for m in plain.b] == [nn.Identity, nn.Linear, nn.Tanh]
    assert [m.out_features for m in wide.b if isinstance(m, nn.Linear)] == [16, 4]
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    out = wide.local(None, torch.eye(3)[y], torch.randn(6, 3), y)
    out.loss.backward()
    assert wide.b[1].weight.grad is not None
