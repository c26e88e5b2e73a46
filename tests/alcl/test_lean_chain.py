"""The module-free full path (alcl.lean_chain): the same bits as the modules, or no lean path."""

from __future__ import annotations

import torch

from alcl import class_heads, inference
from alcl.backbones import MLPBackbone
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.lean_chain import lean_chain
from alcl.network import ALNetwork
from tests.alcl.helpers import CASES, batch


def _through_modules(net: ALNetwork, x: torch.Tensor, depth: int) -> torch.Tensor:
    s = None
    for block in list(net.blocks)[:depth]:
        s = block.encode(s, x)
    return net.exit_logits(s, depth)


def _grown(model: ModelConfig, layers_per_block: int = 1, dropout: float = 0.0) -> ALNetwork:
    net = ALNetwork(8, 3)
    backbone = MLPBackbone((16, 12, 10), layers_per_block=layers_per_block, dropout=dropout)
    rule = GrowthRule(backbone, model)
    for cols in ([0, 1, 2], [3, 4], [5, 6, 7], []):  # the last block reads no new column
        rule.grow(net, cols)
    return net.eval()


def test_every_shortcut_has_the_modules_bits_for_each_mlp_shape():
    x, _ = batch(n=33)
    shapes = [
        (ModelConfig(label_dim=6), 1),
        (ModelConfig(label_dim=6, bridge_hidden=5), 1),  # the two-layer bridge
        (ModelConfig(label_dim=6), 2),  # two layers per encoder
    ]
    for model, layers in shapes:
        net = _grown(model, layers)
        lean = lean_chain(net)
        assert lean is not None
        with torch.no_grad():
            for depth in range(1, net.depth + 1):
                assert torch.equal(lean(x, depth), _through_modules(net, x, depth))
                assert torch.equal(inference.shortcut(net, x, depth), lean(x, depth))
            full = inference.full_path(net, x)
            assert torch.equal(full.logits, _through_modules(net, x, net.depth))
            for row in range(3):  # one-row requests, the path this exists for
                one = inference.full_path(net, x[row : row + 1]).logits
                assert torch.equal(one, _through_modules(net, x[row : row + 1], net.depth))


def test_follows_training_and_growth_without_copying_weights():
    net, rule = CASES["mlp"].grown(groups=[[0, 1, 2], [3, 4]])
    net.eval()
    x, y = batch(n=20)
    before = lean_chain(net)(x, 2).clone()
    trainable = net.trainable_parameters()
    optimizer = torch.optim.SGD(trainable, lr=0.5)
    net.local_losses(x, y).loss.backward()
    optimizer.step()  # in place: the lean chain reads the same parameters
    with torch.no_grad():
        after = lean_chain(net)(x, 2)
        assert not torch.equal(after, before)
        assert torch.equal(after, _through_modules(net, x, 2))
        rule.grow(net, [5, 6, 7])  # a new block: the chain is rebuilt with it
        net.eval()
        assert torch.equal(lean_chain(net)(x, 3), _through_modules(net, x, 3))


def test_no_lean_path_where_the_modules_must_run():
    assert lean_chain(_grown(ModelConfig(label_dim=6), dropout=0.2)) is None
    cnn, _ = CASES["cnn"].grown()
    assert lean_chain(cnn) is None
    net, _ = CASES["mlp"].grown()
    x, y = CASES["mlp"].batch(n=30)
    class_heads.observe(net, x, y, 0.1)  # exits now answer through class statistics
    assert lean_chain(net) is None
    with torch.no_grad():
        assert torch.equal(inference.full_path(net, x).logits, _through_modules(net, x, 3))
