"""``model.block_init``: new blocks start orthogonal or Glorot-uniform, biases zero, on every
backbone; the default draws nothing more, so default networks are unchanged."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from alcl.block_init import initialise
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from tests.alcl.helpers import CASES


def _grown(case, scheme: str, seed: int = 0) -> ALNetwork:
    torch.manual_seed(seed)
    net = ALNetwork(case.n_features, 3)
    rule = GrowthRule(case.backbone(), ModelConfig(label_dim=6, block_init=scheme))
    for cols in case.groups:
        rule.grow(net, cols)
    return net


def _weights(net: nn.Module):
    for module in net.modules():
        if isinstance(module, nn.Linear | nn.Conv1d | nn.Conv2d):
            yield module.weight.flatten(1), module.bias
        elif isinstance(module, nn.LSTM):
            for name, value in module.named_parameters():
                yield (value, None) if name.startswith("weight") else (None, value)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_orthogonal_blocks_start_orthogonal_with_zero_biases(case):
    net = _grown(case, "orthogonal")
    seen = 0
    for weight, bias in _weights(net):
        if weight is not None:
            rows, cols = weight.shape
            gram = weight @ weight.T if rows <= cols else weight.T @ weight
            torch.testing.assert_close(gram, torch.eye(min(rows, cols)), atol=1e-4, rtol=0)
            seen += 1
        if bias is not None:
            assert bool((bias == 0).all())
    assert seen >= 3 * len(net.blocks)  # f, b, g and h of every block


def test_xavier_is_glorot_uniform_and_the_default_changes_nothing():
    case = CASES["mlp"]
    net = _grown(case, "xavier")
    for weight, _ in _weights(net):
        fan_out, fan_in = weight.shape
        assert float(weight.abs().max()) <= (6 / (fan_in + fan_out)) ** 0.5 + 1e-6
    plain, again = _grown(case, "default"), _grown(case, "default")
    for a, b in zip(plain.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    before = [p.clone() for p in plain.parameters()]
    initialise(plain, "default")
    assert all(torch.equal(a, b) for a, b in zip(before, plain.parameters(), strict=True))
    with pytest.raises(ValueError, match=r"block_init must be one of \['default'"):
        initialise(plain, "he")


def test_a_bad_block_init_is_refused_by_the_config():
    from experiments.config import ConfigError, config_from_dict

    with pytest.raises(ConfigError, match="model.block_init must be one of"):
        config_from_dict({"model": {"block_init": "he"}})
