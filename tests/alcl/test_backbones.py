"""Every backbone: it trains, its fusion parameters are trained, its backprop twin matches it,
its bridges pool (no flatten), its compute is counted; bad layouts and options fail early."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from alcl import inference
from alcl.backbones import BlockSpec, build_backbone, check_absent, make_options
from alcl.baselines.bp_grow import BPGrowNetwork
from alcl.baselines.fixed_width import BackpropNet
from alcl.compute import count_flops, exit_costs
from alcl.fusion import ImageCanvas, TokenEmbedding, sinusoidal_positions, unpack_sequence
from tests.alcl.helpers import CASES, IMAGE, TEXT

every_backbone = pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
structured = pytest.mark.parametrize(
    "case", [c for c in CASES.values() if c.name != "mlp"], ids=lambda c: c.name
)


def _fit(params, loss_fn, steps: int = 40, lr: float = 0.01) -> tuple[float, float]:
    opt = torch.optim.Adam(params, lr=lr)
    first = last = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
        last = float(loss.detach())
    return first, last


@every_backbone
def test_al_network_trains_on_a_tiny_batch(case):
    net, _ = case.grown(case.groups[:1], blocks_per_experience=2)  # two blocks, both training
    x, y = case.batch(16)
    net.train()
    first, last = _fit(net.trainable_parameters(), lambda: net.local_losses(x, y).loss)
    assert last < 0.5 * first, (first, last)


@every_backbone
def test_backprop_twin_and_bp_grow_train_on_a_tiny_batch(case):
    x, y = case.batch(16)
    twin = BackpropNet(case.backbone(), case.n_features, 3, depth=2)
    first, last = _fit(twin.parameters(), lambda: nn.functional.cross_entropy(twin(x), y))
    assert last < 0.5 * first, (first, last)
    grow, _ = case.grown(case.groups[:1], network=BPGrowNetwork, blocks_per_experience=2)
    first, last = _fit(grow.trainable_parameters(), lambda: grow.backprop_losses(x, y).loss)
    assert last < 0.5 * first, (first, last)


@every_backbone
def test_backprop_twin_is_the_al_encoder_stack_with_a_linear_head(case):
    al, _ = case.grown([sum(case.groups, [])], blocks_per_experience=3)  # static: block 1 reads all
    twin = BackpropNet(case.backbone(), case.n_features, 3, depth=3)
    for block, encoder in zip(al.blocks, twin.encoders, strict=True):
        assert [p.shape for p in block.f.parameters()] == [p.shape for p in encoder.parameters()]
    assert isinstance(twin.head, nn.Linear) and twin.head.in_features == al.blocks[-1].width


@every_backbone
def test_bridges_pool_to_the_block_width_without_flattening(case):
    net, _ = case.grown()
    net.eval()
    x, _ = case.batch(5)
    s = None
    for block in net.blocks:
        s = block.encode(s, x)
        bridge_linear = next(m for m in block.b.modules() if isinstance(m, nn.Linear))
        assert bridge_linear.in_features == block.width  # pooled, not flattened
        assert block.b(s).shape == (5, 6)


def test_conv_bridges_can_pool_over_a_small_grid():
    case = CASES["cnn"]
    backbone = build_backbone("cnn", case.widths, layout=IMAGE, options={"pool_grid": 2})
    assert [backbone.pooled_width(i) for i in range(3)] == [16, 24, 32]
    s = torch.arange(2 * 4 * 4 * 4, dtype=torch.float32).view(2, 4, 4, 4)
    pooled = backbone.pool(0)(s)
    assert pooled.shape == (2, 16)
    torch.testing.assert_close(pooled.view(2, 4, 2, 2)[:, :, 0, 0], s[:, :, :2, :2].mean((2, 3)))
    twin = BackpropNet(backbone, 64, 3, depth=3)
    assert twin.head.in_features == 32


@structured
def test_fusion_parameters_get_gradient_and_change_in_training(case):
    net, _ = case.grown()  # blocks 1, 2 frozen; block 3 reads group 3 as a side input
    side = net.blocks[2].f.side
    assert side is not None
    params = list(side.parameters())
    trainable = {id(p) for p in net.trainable_parameters()}
    assert params and all(id(p) in trainable for p in params)
    before = [p.detach().clone() for p in params]
    x, y = case.batch(24)
    net.train()
    opt = torch.optim.Adam(net.trainable_parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        net.local_losses(x, y).loss.backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
        opt.step()
    assert all(not torch.equal(a, p) for a, p in zip(before, params, strict=True))


def test_image_side_input_is_the_new_region_as_channels_at_the_previous_maps_size():
    case = CASES["cnn"]
    net, _ = case.grown()
    block2 = net.blocks[1]
    conv = block2.f.stage[0]
    assert conv.in_channels == net.blocks[0].width + 2  # previous channels + side channels
    canvas = block2.f.side.canvas
    x, _ = case.batch(2)
    image_and_mask = canvas(x[:, block2.columns])
    mask = image_and_mask[:, 1]
    assert mask[:, 3:6].eq(1).all() and mask[:, :3].eq(0).all() and mask[:, 6:].eq(0).all()
    torch.testing.assert_close(image_and_mask[:, 0, 3:6], x.view(2, 8, 8)[:, 3:6])
    s1 = net.blocks[0].encode(None, x)
    assert block2.f.side(x[:, block2.columns], s1.shape[-2:]).shape[-2:] == s1.shape[-2:]


def test_token_side_input_appends_new_positions_with_their_mask():
    case = CASES["lstm"]
    net, _ = case.grown()
    x, _ = case.batch(3)
    x[0, 5] = 0.0  # padding in segment 2
    s1 = net.blocks[0].encode(None, x)
    s2 = net.blocks[1].encode(s1, x)
    assert s1.shape == (3, 4, 8 + 1) and s2.shape == (3, 8, 8 + 1)  # 4 + 4 positions
    _, mask = unpack_sequence(s2)
    assert torch.equal(mask, x[:, :8] != 0)
    h, _ = unpack_sequence(s2)
    assert h[0, 5].abs().sum() == 0  # padded positions carry no features


def test_token_embedding_masks_padding_and_absent_positions():
    emb = TokenEmbedding(torch.arange(4), vocab_size=10, dim=6, positional=True)
    ids = torch.tensor([[3.0, 0.0, float("nan"), 9.0]])
    h, mask = unpack_sequence(emb(ids))
    assert mask.tolist() == [[True, False, False, True]]
    assert h[0, 1].abs().sum() == 0 and h[0, 2].abs().sum() == 0
    positions = sinusoidal_positions(torch.tensor([0, 3]), 6)
    torch.testing.assert_close(h[0, 3] - emb.embed.weight[9], positions[1])


def test_image_canvas_marks_absent_pixels_as_the_stream_helper_does():
    canvas = ImageCanvas(torch.arange(IMAGE.n_columns), IMAGE)
    x = torch.randn(2, 64)
    x[0, :8] = float("nan")
    out = canvas(x)
    assert out.shape == (2, 2, 8, 8)
    assert out[0, 1, 0].eq(0).all() and out[0, 0, 0].eq(0).all() and out[1, 1].eq(1).all()


@pytest.mark.parametrize("name", ["cnn", "resnet"])
def test_image_twin_reads_absent_pixels_as_zero_plus_mask(name):
    backbone = CASES[name].backbone()
    masked = BackpropNet(backbone, 64, 3, depth=2, absent="zero+mask")
    zero = BackpropNet(backbone, 64, 3, depth=2, absent="zero")
    zero.load_state_dict(masked.state_dict())
    masked.eval(), zero.eval()
    x = torch.randn(4, 64)
    x_absent = x.clone()
    x_absent[:, 32:] = float("nan")
    assert torch.isfinite(masked(x_absent)).all()
    # zero+mask tells the conv which pixels are absent; zero does not
    assert not torch.allclose(masked(x_absent), zero(x_absent))
    torch.testing.assert_close(masked(x), zero(x))


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_sequence_flops_are_counted(name):
    net, _ = CASES[name].grown()
    net.eval()
    costs = exit_costs(net)
    assert costs.encode[0] == 0  # an embedding lookup multiplies nothing
    assert costs.encode[1] > 0 and costs.encode[2] > 0
    x, _ = CASES[name].batch(4)
    counted = count_flops(lambda: inference.shortcut(net, x, 3))
    assert costs.shortcut[2] * 4 == counted


def test_lstm_flops_are_two_per_multiply_add_of_both_weight_matrices():
    lstm = nn.LSTM(5, 7, batch_first=True)
    x = torch.randn(3, 11, 5)
    with torch.no_grad():
        assert count_flops(lambda: lstm(x)) == 2 * 3 * 11 * 4 * 7 * (5 + 7)


def test_transformer_rows_without_tokens_stay_finite():
    case = CASES["transformer"]
    net, _ = case.grown()
    net.eval()
    x = torch.zeros(2, 12)  # nothing but padding
    assert torch.isfinite(net(x)).all()


def test_backbones_refuse_inputs_they_cannot_read():
    with pytest.raises(ValueError, match="reads images"):
        build_backbone("cnn", (4,), layout=TEXT)
    with pytest.raises(ValueError, match="reads token ids"):
        build_backbone("lstm", (4,), layout=IMAGE)
    with pytest.raises(ValueError, match="no option 'heads'"):
        make_options("lstm", {"heads": 2})
    with pytest.raises(ValueError, match="must be int"):
        make_options("cnn", {"kernel": 3.0})
    with pytest.raises(ValueError, match="divisible by heads=3"):
        build_backbone("transformer", (8, 8), layout=TEXT, options={"heads": 3})
    with pytest.raises(ValueError, match="unknown backbone 'rnn'"):
        make_options("rnn")
    with pytest.raises(ValueError, match="no mean"):
        check_absent("transformer", "mean")
    with pytest.raises(ValueError, match="first conv block needs pixel columns"):
        CASES["cnn"].backbone().encoder(BlockSpec(0, None, torch.arange(64)))(None, None)
