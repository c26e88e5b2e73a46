"""The baseline suite: absent-column modes, equal terms, PNN's task-label oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from avalanche.training.plugins import EvaluationPlugin
from torch import nn

from alcl.baselines.fixed_width import FillAbsent, backprop_mlp
from alcl.evaluation.accuracy import ExperienceAccuracy
from alcl.evaluation.protocol import run_protocol
from alcl.registry import strategies
from streams import StreamConfig, build_stream
from tests.alcl.helpers import build
from tests.conftest import blobs

SETTINGS = {"label_dim": 6, "epochs": 1, "batch_size": 16, "lr": 0.01}
# every strategy that reads tables (bag-of-embeddings reads token ids: its own tests) with
# backprop (the online peers, which update themselves, have tests/alcl/test_online_peers.py)
STRATEGIES = {name: e for name, e in strategies().items() if not e.backbone and not e.reads_nan}


def _build(name, params=None, evaluator=None, plugins=None, **changes):
    return build(name, params, 8, 3, (12, 12), evaluator, plugins, **{**SETTINGS, **changes})


@pytest.fixture(scope="module")
def stream():
    return build_stream(blobs(), StreamConfig(n_experiences=2), seed=3)


def test_fill_absent_modes():
    x = torch.tensor([[1.0, float("nan"), 3.0], [float("nan"), 5.0, float("nan")]])
    torch.testing.assert_close(FillAbsent(3)(x), torch.tensor([[1.0, 0, 3], [0, 5, 0]]))
    masked = FillAbsent(3, "zero+mask")
    assert masked.out_features == 6
    torch.testing.assert_close(masked(x), torch.tensor([[1.0, 0, 3, 1, 0, 1], [0, 5, 0, 0, 1, 0]]))
    mean = FillAbsent(3, "mean")
    mean.observe(torch.tensor([[2.0, float("nan"), 1.0], [4.0, float("nan"), 2.0]]))
    # column 1 was never shown by a training row: it reads 0
    torch.testing.assert_close(mean(x), torch.tensor([[1.0, 0, 3], [3, 5, 1.5]]))
    with pytest.raises(ValueError, match="unknown absent-column mode 'median'"):
        FillAbsent(3, "median")


def test_mlp_widths_and_input_width_follow_the_absent_mode():
    for mode, width in (("zero", 8), ("zero+mask", 16), ("mean", 8)):
        model = backprop_mlp(8, (12, 10), 3, absent=mode)
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        assert [lin.in_features for lin in linears] == [width, 12, 10]
        assert [lin.out_features for lin in linears] == [12, 10, 3]


def _train_means(stream, upto: int) -> np.ndarray:
    rows = np.concatenate([stream.arrays("train", j)[0] for j in range(upto + 1)])
    present = ~np.isnan(rows)
    sums = np.where(present, rows, 0.0).sum(axis=0)
    return sums / np.maximum(present.sum(axis=0), 1)


@pytest.mark.parametrize("name", ["naive", "cumulative", "joint"])
def test_mean_mode_uses_running_means_of_training_rows_only(stream, name):
    accuracy = ExperienceAccuracy()
    strategy = _build(name, {}, EvaluationPlugin(loggers=[]), [accuracy], absent="mean")
    fill = strategy.model.fill
    assert fill.mode == "mean"
    run_protocol(strategy, stream, accuracy, trains_once=STRATEGIES[name].trains_once)
    # Joint sees every column of every training row once; the others each
    # experience's rows as released, once (evaluation never adds to the means).
    if name == "joint":
        rows = np.concatenate([stream.arrays("train", j, upto=1)[0] for j in range(2)])
        expected = rows.mean(axis=0)
    else:
        expected = _train_means(stream, 1)
    np.testing.assert_allclose(fill.means.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_every_strategy_runs_on_equal_terms(stream):
    """Same epochs, batch sizes, optimizer family and lr, and the shared widths, for all."""
    seen_widths = {}
    for name, spec in STRATEGIES.items():
        accuracy = ExperienceAccuracy()
        data = stream.with_task_labels() if spec.task_oracle else stream
        torch.manual_seed(0)
        groups = [g.tolist() for g in stream.groups]
        strategy = _build(name, {}, EvaluationPlugin(loggers=[]), [accuracy], groups=groups)
        record = run_protocol(strategy, data, accuracy, trains_once=spec.trains_once)
        assert (strategy.train_epochs, strategy.train_mb_size) == (1, 16), name
        assert strategy.eval_mb_size == 1024, name
        assert type(strategy.optimizer) is torch.optim.Adam, name
        assert {g["lr"] for g in strategy.optimizer.param_groups} == {0.01}, name
        assert record.n_parameters == sum(p.numel() for p in strategy.model.parameters())
        assert len(record.accuracy_matrix) == (1 if spec.trains_once else 2), name
        hidden = [
            m.out_features
            for m in strategy.model.modules()
            if isinstance(m, nn.Linear) and m.out_features not in (3, 6)  # heads, label codes
        ]
        seen_widths[name] = sorted(set(hidden))
    matched = seen_widths.pop("bp-matched")  # scaled to AL's parameter count, on purpose
    assert len(matched) == 1 and matched != [12]
    assert all(widths == [12] for widths in seen_widths.values()), seen_widths


def test_pnn_gets_task_labels_as_an_oracle_and_one_column_per_experience(stream):
    assert not any(hasattr(e, "task_labels") for e in stream.train_stream)
    tasked = stream.with_task_labels()
    assert tasked.fingerprint() == stream.fingerprint()  # the same samples
    for j, exp in enumerate(tasked.test_stream):
        assert exp.task_labels == [j] and exp.task_label_is_oracle
        assert isinstance(exp.classes_in_this_experience, list)
        assert {int(t) for t in exp.dataset.targets_task_labels} == {j}
    accuracy = ExperienceAccuracy()
    strategy = _build("pnn", {}, EvaluationPlugin(loggers=[]), [accuracy])
    pnn = strategy.model
    strategy.train(tasked.train_stream[0], eval_streams=[])
    strategy.eval(tasked.test_stream)  # meets task 1 before training on it
    assert pnn.layers[0].num_columns == 1
    strategy.train(tasked.train_stream[1], eval_streams=[])
    assert pnn.layers[0].num_columns == 2 and len(pnn.layers) == 2
    assert pnn.layers[0].columns[1].itoh.out_features == 12
    trainable = {id(p) for p in pnn.parameters() if p.requires_grad}
    assert not trainable & {id(p) for p in pnn.layers[0].columns[0].parameters()}


def test_stream_fingerprint_changes_with_the_samples():
    a = build_stream(blobs(), StreamConfig(n_experiences=2), seed=0)
    b = build_stream(blobs(), StreamConfig(n_experiences=2), seed=0)
    c = build_stream(blobs(), StreamConfig(n_experiences=2), seed=1)
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_mas_survives_a_minibatch_loss_of_exactly_zero():
    from avalanche.training.plugins import MASPlugin

    from alcl.baselines.avalanche import NonZeroLoss

    class Strategy:
        pass

    strategy, weight = Strategy(), torch.tensor(2.0, requires_grad=True)
    strategy.loss = weight * 0.0
    NonZeroLoss().before_backward(strategy)
    assert bool(strategy.loss)  # MAS's `not strategy.loss` check now passes
    strategy.loss.backward()
    assert weight.grad == 0.0
    mas = _build("mas")
    kinds = [type(p) for p in mas.plugins]
    assert kinds.index(NonZeroLoss) < kinds.index(MASPlugin)


def test_si_penalises_moving_important_weights_on_cpu(stream):
    """Avalanche 0.6's SI plugin aliases its weight snapshots on CPU; alcl's copies them."""
    from alcl.baselines.avalanche import CopyingSynapticIntelligence

    weights = {}
    for name, params in (("naive", {}), ("si", {"si_lambda": 100.0})):
        torch.manual_seed(0)
        strategy = _build(name, params)
        for experience in stream.train_stream:
            strategy.train(experience, eval_streams=[])
        weights[name] = torch.cat([p.detach().flatten() for p in strategy.model.parameters()])
    (si,) = [p for p in strategy.plugins if isinstance(p, CopyingSynapticIntelligence)]
    importance = torch.cat([v.data for v in si.ewc_data[1].values()])
    assert importance.max() > 0  # all 0 when the snapshots alias the live weights
    assert not torch.allclose(weights["naive"], weights["si"])


def test_zero_mask_on_a_bag_of_words_marks_each_field_once():
    from alcl.baselines.fixed_width import mask_pieces
    from streams.layout import TextLayout

    layout = TextLayout("tfidf", ("title", "body"), ((0, 3), (3, 5)), ("<pad>", "<unk>"), 0)
    pieces = mask_pieces(layout)
    assert pieces == [(0, 3), (3, 5)]
    fill = FillAbsent(5, "zero+mask", pieces)
    x = torch.tensor([[0.5, 0.0, 0.2, float("nan"), float("nan")], [0.0, 0.1, 0.0, 0.3, 0.0]])
    assert fill.out_features == 7  # 5 values, one mask input per field
    torch.testing.assert_close(
        fill(x), torch.tensor([[0.5, 0.0, 0.2, 0, 0, 1, 0], [0.0, 0.1, 0.0, 0.3, 0.0, 1, 1]])
    )
    assert mask_pieces(None) is None  # tables and images: one mask input per column
