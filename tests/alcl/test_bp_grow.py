"""The controls: bp-grow grows exactly as AL does but trains by backprop; al-nofreeze keeps training."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from alcl.backbones import MLPBackbone
from alcl.baselines.bp_grow import BPGrowNetwork, BPGrowStrategy
from alcl.config import ModelConfig
from alcl.evaluation.accuracy import ExperienceAccuracy, evaluate
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from streams import StreamConfig, build_stream
from tests.alcl.helpers import batch, build
from tests.conftest import blobs

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]


def _grow(cls, groups=GROUPS, blocks_per_experience=1, freeze=True):
    net = cls(8, 3)
    rule = GrowthRule(
        MLPBackbone((16, 12, 10)),
        ModelConfig(label_dim=6),
        blocks_per_experience=blocks_per_experience,
        freeze=freeze,
    )
    for cols in groups:
        rule.grow(net, cols)
    return net


def test_bp_grow_shares_al_growth_widths_and_column_routing():
    al, bp = _grow(ALNetwork), _grow(BPGrowNetwork)
    assert [b.width for b in al.blocks] == [b.width for b in bp.blocks] == [16, 12, 10]
    for a, b in zip(al.blocks, bp.blocks, strict=True):
        assert torch.equal(a.columns, b.columns)
        assert [p.shape for p in a.f.parameters()] == [p.shape for p in b.f.parameters()]
        assert a.frozen == b.frozen
    x, _ = batch(6)
    x[0, 5] = float("nan")  # no column of block 3
    x[1, 3] = float("nan")  # no column of block 2
    assert torch.equal(al.usable_depth(x), bp.usable_depth(x))
    assert bp.usable_depth(x)[:3].tolist() == [2, 1, 3]


def test_bp_grow_predicts_from_the_head_of_the_deepest_reachable_block():
    net = _grow(BPGrowNetwork).eval()
    x, _ = batch(5)
    x[0, 6] = float("nan")
    out = net(x)
    for i in range(5):
        depth = int(net.usable_depth(x[i : i + 1]))
        s = None
        for block in net.blocks[:depth]:
            s = block.encode(s, x[i : i + 1])
        torch.testing.assert_close(out[i : i + 1], net.blocks[depth - 1].head(s))


def test_bp_grow_backprops_through_the_new_blocks_only():
    net = _grow(BPGrowNetwork, groups=[[0, 1, 2], [3, 4, 5, 6, 7]], blocks_per_experience=2)
    assert [b.frozen for b in net.blocks] == [True, True, False, False]
    x, y = batch(12)
    step = net.backprop_losses(x, y)
    step.loss.backward()
    assert all(p.grad is None for b in net.blocks[:2] for p in b.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.blocks[2].parameters())
    # End to end: the deepest head's cross-entropy alone reaches the block below it.
    net.zero_grad()
    s = None
    for block in net.blocks:
        s = block.encode(s, x)
    F.cross_entropy(net.blocks[3].head(s), y).backward()
    assert net.blocks[2].f.net[0].weight.grad.abs().sum() > 0


def test_bp_grow_strategy_freezes_old_blocks_and_learns():
    stream = build_stream(blobs(), StreamConfig(n_experiences=3))
    accuracy = ExperienceAccuracy()
    strategy = build(
        "bp-grow", {}, 8, 3, (16, 16, 16), plugins=[accuracy], epochs=10, batch_size=16, lr=0.01
    )
    assert isinstance(strategy, BPGrowStrategy)
    before = None
    for t, exp in enumerate(stream.train_stream):
        strategy.train(exp, eval_streams=[])
        net = strategy.model
        assert net.depth == t + 1 and [b.frozen for b in net.blocks] == [True] * t + [False]
        optimized = {id(p) for g in strategy.optimizer.param_groups for p in g["params"]}
        assert optimized == {id(p) for p in net.blocks[-1].parameters()}
        if before is not None:
            after = net.blocks[0].state_dict()
            assert all(torch.equal(before[k], after[k]) for k in before)
        before = {k: v.clone() for k, v in net.blocks[0].state_dict().items()}
    assert min(evaluate(strategy, stream.test_stream, accuracy)) > 0.6  # separable blobs


def test_al_nofreeze_keeps_training_old_blocks():
    stream = build_stream(blobs(), StreamConfig(n_experiences=2))
    strategy = build(
        "al-nofreeze", {}, 8, 3, (16, 16), label_dim=8, epochs=3, batch_size=16, lr=0.01
    )
    strategy.train(stream.train_stream[0], eval_streams=[])
    first = {k: v.clone() for k, v in strategy.model.blocks[0].state_dict().items()}
    strategy.train(stream.train_stream[1], eval_streams=[])
    net = strategy.model
    assert net.depth == 2 and not any(b.frozen for b in net.blocks)
    optimized = {id(p) for g in strategy.optimizer.param_groups for p in g["params"]}
    assert optimized == {id(p) for p in net.parameters()}
    after = net.blocks[0].state_dict()
    assert any(not torch.equal(first[k], after[k]) for k in first if after[k].is_floating_point())


def test_bp_exits_heads_are_exits_for_every_inference_path():
    from alcl import inference
    from alcl.baselines.bp_grow import BPExitsNetwork

    torch.manual_seed(0)
    net = _grow(BPExitsNetwork)
    x = torch.randn(20, 8)
    # the full path is bp-grow's forward: the head of the deepest block
    assert torch.equal(inference.full_path(net, x).logits, net(x))
    exits = inference.all_exits(net, x)
    s = None
    for k, block in enumerate(net.blocks, start=1):
        s = block.encode(s, x)
        assert torch.equal(exits[k - 1], block.head(s))  # exit k is block k's head
    # threshold 0: everybody leaves at the first head; above 1: the full path
    assert torch.equal(inference.adaptive(net, x, threshold=0.0).logits, exits[0])
    assert bool((inference.adaptive(net, x, threshold=2.0).exit_depth == 3).all())


def test_bp_exits_trains_as_bp_grow_and_reports_calibrated_exits(tmp_path):
    from alcl.results import files as results
    from experiments.config import config_from_dict
    from experiments.runner import run_experiment

    cfg = config_from_dict(
        {
            "seeds": [0],
            "device": "cpu",
            "stream": {"dataset": "wine", "n_experiences": 3},
            "model": {"widths": [16, 16, 16], "label_dim": 8},
            "training": {"epochs": 3},
            "adaptive": {"latency_repeats": 0},
            "strategies": ["bp-grow", "bp-exits"],
        }
    )
    folder = run_experiment(cfg, out=tmp_path / "out", progress=False, plots=False)
    runs = {r.strategy: r for r in results.load_runs(folder)}
    grow, exits = runs["bp-grow"], runs["bp-exits"]
    assert exits.accuracy_matrix == grow.accuracy_matrix  # the same training, the same answers
    assert grow.al is None and exits.al is not None
    assert len(exits.al.exit_accuracy[-1]) == 3
    adaptive = exits.al.adaptive  # calibrated on validation, as for AL
    assert adaptive["chose_full_path"] or adaptive["threshold"] is not None
    sizes = exits.stream.test_sizes  # the full path on every test row, current features
    pooled = sum(a * n for a, n in zip(exits.current_matrix[-1], sizes, strict=True)) / sum(sizes)
    assert adaptive["test_summary"]["full_path_accuracy"] == pytest.approx(pooled)
