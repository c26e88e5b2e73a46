"""AL block options: whether the associated loss moves the label encoder g (``detach_t``)."""

from __future__ import annotations

import torch
from torch import nn

from alcl.backbones.mlp import MLPEncoder
from alcl.block import make_block
from alcl.config import ModelConfig


def associated_grads(detach_t: bool) -> tuple[float, float]:
    torch.manual_seed(0)
    f = MLPEncoder(4, 8)
    block = make_block(
        f,
        nn.Identity(),
        8,
        [0, 1, 2, 3],
        3,
        ModelConfig(label_dim=5, detach_t=detach_t),
        first=False,
    )
    out = block.local(None, torch.randn(6, 5), torch.randn(6, 4), torch.randint(0, 3, (6,)))
    out.associated.backward()
    g = sum(p.grad.abs().sum().item() for p in block.g.parameters() if p.grad is not None)
    b = sum(p.grad.abs().sum().item() for p in block.b.parameters() if p.grad is not None)
    return g, b


def test_detached_t_moves_only_the_bridge_and_the_public_variant_moves_g_too():
    g, b = associated_grads(detach_t=True)
    assert g == 0.0 and b > 0.0
    g, b = associated_grads(detach_t=False)
    assert g > 0.0 and b > 0.0
    assert ModelConfig().detach_t is True  # the default keeps alcl's formulation
