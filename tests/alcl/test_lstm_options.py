"""LSTM options: a packed (bi)LSTM reads each row's real tokens only, wherever they sit,
keeps the block's width, and refuses odd widths when bidirectional."""

from __future__ import annotations

import pytest
import torch

from alcl.backbones import build_backbone
from alcl.backbones.lstm import LSTMLayer, LSTMOptions
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from tests.alcl.helpers import CASES, TEXT


def _rows():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(3, 7, 5, generator=g)
    mask = torch.tensor(
        [
            [1, 1, 0, 0, 1, 1, 0],  # two segments, each with its own padding
            [0, 0, 1, 1, 1, 0, 0],
            [1, 1, 1, 1, 1, 1, 1],
        ],
        dtype=torch.bool,
    )
    return h, mask


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_packed_lstm_reads_only_each_rows_real_tokens(bidirectional):
    torch.manual_seed(1)
    layer = LSTMLayer(5, 8, 1, 0.0, bidirectional=bidirectional, packed=True).eval()
    h, mask = _rows()
    out = layer(h, mask)
    assert out.shape == (3, 7, 8)  # the block keeps its width either way
    for row in range(3):
        real = mask[row].nonzero().squeeze(1)
        alone, _ = layer.lstm(h[row, real].unsqueeze(0))  # the real tokens without padding
        torch.testing.assert_close(out[row, real], alone[0])
    noisy = h.clone()
    noisy[~mask] = 100.0  # whatever the padding holds
    torch.testing.assert_close(layer(noisy, mask)[mask], out[mask])


def test_without_packing_a_backward_lstm_reads_the_padding():
    torch.manual_seed(1)
    layer = LSTMLayer(5, 8, 1, 0.0, bidirectional=True, packed=False).eval()
    h, mask = _rows()
    noisy = h.clone()
    noisy[~mask] = 100.0
    assert not torch.allclose(layer(noisy, mask)[mask], layer(h, mask)[mask])


def test_odd_widths_are_refused_when_bidirectional_and_a_network_runs():
    problems = LSTMOptions(bidirectional=True).problems([16, 8, 7])
    assert problems and "make widths[1:] even, got [8, 7]" in problems[0]
    assert LSTMOptions(bidirectional=True).problems([16, 8, 6]) == []
    case = CASES["lstm"]
    options = {"bidirectional": True, "packed": True}
    backbone = build_backbone("lstm", case.widths, layout=TEXT, options=options)
    net = ALNetwork(case.n_features, 3)
    rule = GrowthRule(backbone, ModelConfig(label_dim=6))
    for cols in case.groups:
        rule.grow(net, cols)
    x, y = case.batch(16)
    step = net.local_losses(x, y)
    step.loss.backward()
    assert net.eval()(x).shape == (16, 3)
