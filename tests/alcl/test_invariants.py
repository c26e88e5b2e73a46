"""The AL invariants, on every backbone: gradient isolation, frozen blocks, the inference
paths; and the MLP's growth widths."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from alcl import inference
from tests.alcl.helpers import CASES, grown_network

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]
every_backbone = pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())


@every_backbone
def test_no_block_receives_gradient_from_another_blocks_losses(case):
    net, _ = case.grown(freeze=False)
    x, y = case.batch()
    s, t = None, F.one_hot(y, 3).float()
    for k, block in enumerate(net.blocks):
        out = block.local(s, t, x, y)
        others = [p for j, b in enumerate(net.blocks) if j != k for p in b.parameters()]
        grads = torch.autograd.grad(out.loss, others, allow_unused=True)
        assert all(g is None or not g.any() for g in grads), f"block {k} leaks gradient"
        own = torch.autograd.grad(out.loss, list(block.parameters()), allow_unused=True)
        assert any(g is not None and g.abs().sum() > 0 for g in own), f"block {k} learns nothing"
        s, t = out.s, out.t


@every_backbone
def test_summed_local_losses_give_each_block_its_own_gradient(case):
    net, _ = case.grown(freeze=False)
    net.eval()  # batch norm: the same statistics in both passes
    x, y = case.batch()
    step = net.local_losses(x, y)
    step.loss.backward()
    joint = [p.grad for p in net.parameters()]
    s, t = None, F.one_hot(y, 3).float()
    separate = []
    for block in net.blocks:
        out = block.local(s, t, x, y)
        separate += torch.autograd.grad(out.loss, list(block.parameters()), allow_unused=True)
        s, t = out.s, out.t
    for a, b in zip(joint, separate, strict=True):
        if b is None:  # e.g. embedding rows no token used: no gradient either way
            assert a is None or not a.any()
        else:
            torch.testing.assert_close(a, b)


@every_backbone
def test_frozen_blocks_stay_bit_identical_through_training(case):
    net, rule = case.grown(case.groups[:2])
    before = {k: v.clone() for k, v in net.blocks[:2].state_dict().items()}
    rule.grow(net, case.groups[2])
    assert [b.frozen for b in net.blocks] == [True, True, False]
    opt = torch.optim.Adam(net.trainable_parameters(), lr=0.1)
    x, y = case.batch(32)
    net.train()
    for _ in range(5):
        opt.zero_grad()
        net.local_losses(x, y).loss.backward()
        opt.step()
    after = net.blocks[:2].state_dict()  # batch-norm statistics included
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not net.blocks[0].training and net.blocks[2].training


@every_backbone
def test_shortcut_equals_blocks_composed_by_hand(case):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch()
    for depth in (1, 2, 3):
        s = None
        for block in net.blocks[:depth]:
            side = x[:, block.columns] if block.columns.numel() else None
            s = block.f(s, side)
        t = net.blocks[depth - 1].b(s)
        for block in reversed(net.blocks[:depth]):
            t = block.h(t)
        torch.testing.assert_close(inference.shortcut(net, x, depth), t)


@every_backbone
def test_all_exits_match_shortcuts(case):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch()
    for depth, logits in enumerate(inference.all_exits(net, x), start=1):
        torch.testing.assert_close(logits, inference.shortcut(net, x, depth))


@every_backbone
@pytest.mark.parametrize("kind", ["max_prob", "entropy"])
def test_adaptive_limits(case, kind):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch(25)
    zero = inference.adaptive(net, x, threshold=0.0, kind=kind)
    assert (zero.exit_depth == 1).all()
    torch.testing.assert_close(zero.logits, inference.shortcut(net, x, 1))
    above = inference.adaptive(net, x, threshold=1.01, kind=kind)
    assert (above.exit_depth == 3).all()
    torch.testing.assert_close(above.logits, inference.shortcut(net, x, 3))
    torch.testing.assert_close(net(x), above.logits)


@every_backbone
def test_adaptive_exits_each_sample_at_its_first_confident_depth(case):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch(40)
    exits = inference.all_exits(net, x)
    conf = torch.stack([inference.confidence(e) for e in exits], dim=1)
    tau = float(conf.median().detach())
    pred = inference.adaptive(net, x, threshold=tau)
    for i in range(len(x)):
        confident = (conf[i] >= tau).nonzero()
        expected = int(confident[0]) + 1 if len(confident) else 3
        assert int(pred.exit_depth[i]) == expected
        torch.testing.assert_close(pred.logits[i], exits[expected - 1][i])


@every_backbone
def test_samples_route_to_the_deepest_block_their_columns_allow(case):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch(6)
    x_partial = x.clone()
    x_partial[:3, case.groups[2]] = float("nan")  # the first three rows lack group 3
    assert net.usable_depth(x_partial).tolist() == [2, 2, 2, 3, 3, 3]
    out = net(x_partial)
    torch.testing.assert_close(out[:3], inference.shortcut(net, x[:3], 2))
    torch.testing.assert_close(out[3:], inference.shortcut(net, x[3:], 3))
    assert torch.isfinite(out).all()


def test_confidences_are_probabilities():
    logits = torch.tensor([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    mp = inference.confidence(logits, "max_prob")
    ent = inference.confidence(logits, "entropy")
    assert math.isclose(float(mp[0]), 1 / 3, rel_tol=1e-5) and float(mp[1]) > 0.99
    assert abs(float(ent[0])) < 1e-5 and 0.99 < float(ent[1]) <= 1.0
    with pytest.raises(ValueError, match="unknown confidence"):
        inference.confidence(logits, "sigmoid")


def test_grown_block_reads_previous_width_plus_new_columns():
    net, _ = grown_network(GROUPS)
    widths = [16, 12, 10]
    expected_in = [3, 16 + 2, 12 + 3]
    for block, width, n_in in zip(net.blocks, widths, expected_in, strict=True):
        first_linear = block.f.net[0]
        assert first_linear.in_features == n_in and first_linear.out_features == width


def test_growth_without_new_columns_is_plain_layer_accumulation():
    net, rule = grown_network(GROUPS[:1])
    rule.grow(net, [])
    assert net.blocks[1].columns.numel() == 0
    assert net.blocks[1].f.net[0].in_features == 16


def test_network_rejects_bad_input():
    net, _ = grown_network(GROUPS)
    with pytest.raises(ValueError, match=r"shape \(batch, 8\)"):
        net(torch.randn(4, 5))
    with pytest.raises(ValueError, match="labels must lie"):
        net.local_losses(torch.randn(4, 8), torch.tensor([0, 1, 2, 3]))
    x = torch.randn(2, 8)
    x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="block 1"):
        net(x)


@every_backbone
@pytest.mark.parametrize("kind", ["max_prob", "entropy"])
def test_decisions_read_off_the_exit_table_are_adaptive_inferences(case, kind):
    # What the threshold curve reads off one pass must be what adaptive inference decides,
    # on rows that reach every depth and on rows whose columns stop them early.
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch(40)
    x[:10, case.groups[2]] = float("nan")  # limit 2
    x[10:14, case.groups[1] + case.groups[2]] = float("nan")  # limit 1
    table = inference.exit_table(net, x)
    assert table.limit.tolist() == [2] * 10 + [1] * 4 + [3] * 26
    finite = torch.cat([c for c in (table.logits[0, :], table.logits[2, 14:])])
    assert torch.isfinite(finite).all()
    conf = torch.stack([inference.confidence(e, kind) for e in table.logits[:, 14:]])
    for tau in (0.0, float(conf.median()), float(conf.quantile(0.8)), 1.0, math.inf):
        real = inference.adaptive(net, x, threshold=tau, kind=kind)
        read = inference.decide(net, table, tau, kind)
        assert torch.equal(read.exit_depth, real.exit_depth), tau
        assert torch.equal(read.flops, real.flops), tau
        torch.testing.assert_close(read.logits, real.logits, rtol=1e-5, atol=1e-6)
        assert torch.equal(read.labels, real.labels), tau


@every_backbone
def test_the_router_lets_every_row_exit_where_adaptive_inference_does(case):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch(50)
    x[:12, case.groups[2]] = float("nan")  # limit 2
    x[12:15, case.groups[1] + case.groups[2]] = float("nan")  # limit 1
    conf = torch.stack([inference.confidence(e) for e in inference.exit_table(net, x).logits])
    for tau in (0.0, float(conf[:, 15:].median()), 1.0, math.inf):
        per_request = torch.cat(  # requests of 8 rows, each through adaptive inference
            [inference.adaptive(net, chunk, threshold=tau).exit_depth for chunk in x.split(8)]
        )
        routed = inference.adaptive_routed(net, x, tau, batch_size=8, deep_batch_size=16)
        whole = inference.adaptive(net, x, threshold=tau)
        assert torch.equal(routed.exit_depth, per_request) and torch.equal(
            routed.flops, whole.flops
        )
        torch.testing.assert_close(routed.logits, whole.logits, rtol=1e-5, atol=1e-6)
        assert torch.equal(routed.labels, whole.labels), tau
