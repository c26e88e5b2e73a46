"""Warm start (al: warm_start true): a new block begins at its parent's exit, and the option
changes nothing else (the same random draws, the default off)."""

from __future__ import annotations

import torch

from alcl.backbones import MLPBackbone
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.inference import all_exits
from alcl.network import ALNetwork
from alcl.registry import strategies


def grown(warm_start: bool, layers_per_block: int = 1) -> tuple[ALNetwork, torch.Tensor]:
    torch.manual_seed(0)
    net = ALNetwork(8, 3)
    rule = GrowthRule(
        MLPBackbone((16, 16), layers_per_block=layers_per_block),
        ModelConfig(label_dim=6),
        warm_start=warm_start,
    )
    rule.grow(net, [0, 1, 2, 3, 4])
    with torch.no_grad():  # a parent with something to pass on: a trained-looking bridge
        for p in net.blocks[0].parameters():
            p.mul_(3.0)
    rule.grow(net, [5, 6, 7])
    return net, torch.get_rng_state()


def test_a_warm_started_block_answers_as_its_parent():
    x = torch.randn(500, 8, generator=torch.Generator().manual_seed(1))
    for layers in (1, 2):
        agreement = {}
        for warm in (True, False):
            net, _ = grown(warm, layers)
            parent, child = all_exits(net.eval(), x)
            agreement[warm] = (parent.argmax(1) == child.argmax(1)).float().mean().item()
        # a constant answer agrees as often as the parent's most frequent class: the random
        # start does no better than that, the warm start much better
        constant = torch.bincount(parent.argmax(1)).max().item() / len(x)
        assert agreement[False] <= constant + 0.01, (layers, agreement, constant)
        assert agreement[True] >= 0.9 and agreement[True] > constant + 0.05, (layers, agreement)


def test_warm_start_draws_the_same_random_numbers_and_is_off_by_default():
    (warm, state_warm), (cold, state_cold) = grown(True), grown(False)
    assert torch.equal(state_warm, state_cold)  # the runs after it are not shifted
    parent_warm, parent_cold = warm.blocks[0].state_dict(), cold.blocks[0].state_dict()
    assert all(torch.equal(parent_warm[k], parent_cold[k]) for k in parent_warm)
    assert strategies()["al"].options({}).warm_start is False
    assert strategies()["al"].options({"warm_start": True}).warm_start is True
