"""The online peers as batch strategies: each training row is stepped once per epoch, the
evaluation reads the learner's scores and changes nothing, and what cannot run says so."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from avalanche.training.plugins import EvaluationPlugin

from alcl.baselines.online_peers import PEERS
from alcl.config import ModelConfig, TrainingConfig
from alcl.evaluation.accuracy import ExperienceAccuracy
from alcl.evaluation.protocol import run_protocol
from alcl.registry import Problem, build_strategy, strategies
from experiments.config import ConfigError, config_from_dict
from streams import StreamConfig, build_stream
from streams.validation import DataError
from tests.conftest import blobs


def trained(name, epochs=2, n_classes=2, params=None, lr=0.1):
    stream = build_stream(
        blobs(n_per_class=60, n_classes=n_classes),
        StreamConfig(grouping="trapezoidal", n_experiences=4),
        seed=1,
    )
    accuracy = ExperienceAccuracy()
    torch.manual_seed(0)
    strategy = build_strategy(
        name,
        params or {},
        Problem(stream.n_features, stream.n_classes, None, tuple(map(tuple, stream.groups))),
        ModelConfig(),
        TrainingConfig(epochs=epochs, batch_size=16, lr=lr),
        evaluator=EvaluationPlugin(loggers=[]),
        plugins=[accuracy],
    )
    learner = strategy.model.learner
    steps = []
    step = learner.step
    learner.step = lambda x, y: steps.append(len(y)) or step(x, y)
    record = run_protocol(strategy, stream, accuracy)
    return stream, strategy, record, steps


@pytest.mark.parametrize("name", sorted(PEERS))
def test_every_training_row_is_one_step_per_epoch(name):
    stream, _, record, steps = trained(name, epochs=2)
    rows = sum(len(stream.rows["train"][j]) for j in range(stream.n_experiences))
    assert steps == [1] * (2 * rows)  # one row per step, every row once per epoch
    assert len(record.accuracy_matrix) == 4
    assert record.stored_samples == 0


@pytest.mark.parametrize("name", sorted(PEERS))
def test_the_accuracy_matrix_is_the_learners_own_scores(name):
    stream, strategy, record, _ = trained(name, epochs=1)
    learner = strategy.model.learner
    before = learner.state_tensors()
    for j in range(stream.n_experiences):
        x, y = stream.arrays("test", j)
        predicted = learner.scores(x.astype(np.float64)).argmax(axis=1)
        assert record.accuracy_matrix[-1][j] == pytest.approx((predicted == y).mean())
    after = learner.state_tensors()
    assert all(torch.equal(before[k], after[k]) for k in before)  # asking changes nothing


def test_parameter_count_absent_mode_and_hyper_parameters():
    _, strategy, record, _ = trained("ogd", params={"scale": False}, lr=0.2)
    assert strategy.model.learner.lr == 0.2  # training.lr is the learner's learning rate
    assert strategy.model.learner.scaler is None
    assert record.n_parameters == 2 * 8 + 2  # weights and biases of a 2-class, 8-column OGD
    entry = strategies()["ogd"]
    assert entry.absent_mode({}, "zero+mask") == "own" and entry.reads_nan
    assert strategies()["olsf"].two_classes and not strategies()["odl"].two_classes


def test_olsf_on_three_classes_fails_in_one_line_naming_the_fix():
    with pytest.raises(DataError) as caught:
        trained("olsf", n_classes=3)
    message = str(caught.value)
    assert "OLSF is a binary classifier; this stream has 3 classes" in message
    assert "Drop it from this stream's strategies" in message and "\n" not in message


def test_peer_entries_are_checked_like_any_strategy():
    odl = {"name": "odl", "b": 0.9, "training": {"lr": 0.05}}
    cfg = config_from_dict({"strategies": [odl, "aux-drop-ogd"]})
    assert cfg.strategies[0].options.b == 0.9
    assert cfg.strategies[0].training_for(cfg.training).lr == 0.05
    with pytest.raises(ConfigError, match="has no hyper-parameter 'lr'.*and label, training"):
        config_from_dict({"strategies": [{"name": "odl", "lr": 0.05}]})
