"""Compute accounting and the adaptive walker: FLOPs per exit, FLOPs spent, compaction."""

from __future__ import annotations

import math

import pytest
import torch

from alcl import inference
from alcl.compute import count_flops, exit_costs, parameters_per_block
from alcl.evaluation.cost import compute_report
from tests.alcl.helpers import batch, grown_network

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]


def test_exit_flops_are_what_flop_counter_mode_counts_on_each_shortcut():
    net, _ = grown_network(GROUPS)
    net.eval()
    x, _ = batch(5)
    costs = exit_costs(net)
    for depth in (1, 2, 3):
        counted = count_flops(lambda d=depth: inference.shortcut(net, x, d))
        assert costs.shortcut[depth - 1] * len(x) == counted
    # block 1's encoder is one Linear(3 -> 16): 2 FLOPs per multiply-add
    assert costs.encode[0] == 2 * 3 * 16
    assert costs.adaptive_exit[0] == costs.shortcut[0]
    assert costs.adaptive_exit[2] == sum(costs.encode) + sum(costs.decode)


@pytest.mark.parametrize("threshold", [0.0, 0.6, 0.9, math.inf])
def test_walker_reports_exactly_the_flops_it_spends(threshold):
    net, _ = grown_network(GROUPS)
    net.eval()
    x, _ = batch(64)
    exit_costs(net)  # count the exits first, so the counter below sees only the walk
    box = {}
    spent = count_flops(lambda: box.setdefault("p", inference.adaptive(net, x, threshold)))
    pred = box["p"]
    assert int(pred.flops.sum()) == spent
    table = exit_costs(net).shortcut if math.isinf(threshold) else exit_costs(net).adaptive_exit
    assert pred.flops.tolist() == [table[d - 1] for d in pred.exit_depth.tolist()]


def test_deeper_blocks_run_only_on_undecided_samples():
    net, _ = grown_network(GROUPS)
    net.eval()
    x, _ = batch(64)
    conf = inference.confidence(inference.shortcut(net, x, 1))
    tau = float(conf.median())
    seen = {}

    def record(depth):
        def hook(module, inputs, output) -> None:
            seen[depth] = len(output)

        return hook

    hooks = [block.f.register_forward_hook(record(k)) for k, block in enumerate(net.blocks, 1)]
    pred = inference.adaptive(net, x, tau)
    for hook in hooks:
        hook.remove()
    assert seen[1] == 64
    assert seen[2] == int((pred.exit_depth >= 2).sum()) < 64


def test_exit_rule_is_stored_in_the_state_dict_and_used_by_default():
    net, _ = grown_network(GROUPS)
    net.eval()
    x, _ = batch(20)
    with pytest.raises(ValueError, match="no calibrated exit threshold"):
        inference.adaptive(net, x)
    net.set_exit_rule(0.7, "entropy")
    copy, _ = grown_network(GROUPS)
    copy.load_state_dict(net.state_dict())
    assert copy.exit_rule == (0.7, "entropy")
    torch.testing.assert_close(
        inference.adaptive(copy, x).logits, inference.adaptive(net, x, 0.7, "entropy").logits
    )
    with pytest.raises(ValueError, match="unknown confidence"):
        net.set_exit_rule(0.5, "sigmoid")


def test_parameters_per_block_and_report():
    net, _ = grown_network(GROUPS)
    assert sum(parameters_per_block(net)) == sum(p.numel() for p in net.blocks.parameters())
    x, _ = batch(32)
    report = compute_report(net, x, batch_size=16, repeats=1)
    assert report["flops_per_sample"]["shortcut"] == exit_costs(net).shortcut
    latency = report["latency"]
    assert latency["batch_size"] == 16 and len(latency["shortcut_seconds_per_batch"]) == 3
    assert all(t > 0 for t in latency["shortcut_seconds_per_batch"])
    assert "latency" not in compute_report(net, x, repeats=0)
