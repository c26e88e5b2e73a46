"""Small AL networks for tests."""

from __future__ import annotations

import torch

from alcl.backbones import MLPBackbone
from alcl.growth import GrowthRule
from alcl.network import ALNetwork


def grown_network(
    groups: list[list[int]], n_features: int = 8, n_classes: int = 3, freeze: bool = True
) -> tuple[ALNetwork, GrowthRule]:
    """An AL network grown once per column group, as the strategy would grow it."""
    net = ALNetwork(n_features, n_classes)
    rule = GrowthRule(MLPBackbone((16, 12, 10)), label_dim=6, freeze=freeze)
    for cols in groups:
        rule.grow(net, cols)
    return net, rule


def batch(
    n: int = 10, n_features: int = 8, n_classes: int = 3
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, n_features, generator=g), torch.randint(0, n_classes, (n,), generator=g)
