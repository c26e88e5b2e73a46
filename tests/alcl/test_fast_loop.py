"""Tensor batches, the lean callback dispatch, and AL's cache of frozen-block outputs."""

from __future__ import annotations

import pytest
import torch
from avalanche.benchmarks.utils import concat_datasets
from avalanche.benchmarks.utils.classification_dataset import (
    _make_taskaware_classification_dataset,
)
from avalanche.core import SupervisedPlugin
from avalanche.training import Naive
from avalanche.training.plugins import EvaluationPlugin
from torch.utils.data import DataLoader

from alcl.backbones import MLPBackbone
from alcl.baselines.fixed_width import backprop_mlp
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from alcl.strategy import ALStrategy
from alcl.training.loader import TensorBatches, gather_items, in_memory_tensors
from alcl.training.loop import fast_loop_class, listens
from alcl.training.optim import optimizer_factory
from streams import StreamConfig, build_stream
from streams.avalanche_data import make_dataset
from tests.conftest import blobs


@pytest.fixture(scope="module")
def stream():
    # 63 training rows per experience: batches of 21 are all full
    return build_stream(blobs(n_per_class=100), StreamConfig(n_experiences=3))


class Counter(SupervisedPlugin):
    def __init__(self):
        super().__init__()
        self.iterations = 0
        self.outputs = []

        self.loaders = set()

    def after_training_iteration(self, strategy, **kwargs):
        self.iterations += 1
        self.outputs.append(strategy.mb_output.shape)
        kind = type(strategy.dataloader)
        self.loaders.add(kind if kind is TensorBatches else "avalanche")


def _al(stream, **kwargs) -> ALStrategy:
    return ALStrategy(
        model=ALNetwork(stream.n_features, stream.n_classes),
        growth=GrowthRule(MLPBackbone((16, 16, 16)), ModelConfig(label_dim=8)),
        optimizer_factory=optimizer_factory("adam", 0.01),
        train_mb_size=21,
        train_epochs=3,
        evaluator=EvaluationPlugin(loggers=[]),
        **kwargs,
    )


def test_tensor_batches_cover_every_row_once_per_epoch_in_a_seeded_order():
    x = torch.arange(10.0).unsqueeze(1)
    batches = TensorBatches([x, x.squeeze(1).long()], 4, generator=torch.Generator().manual_seed(0))
    epoch = [b for b in batches]
    assert [len(b[0]) for b in epoch] == [4, 4, 2] and len(batches) == 3
    seen = torch.cat([b[1] for b in epoch])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    again = TensorBatches([x, x.squeeze(1).long()], 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.cat([b[1] for b in again]), seen)
    assert len(TensorBatches([x], 4, drop_last=True)) == 2
    ordered = TensorBatches([x], 3, shuffle=False)
    assert torch.equal(torch.cat([b[0] for b in ordered]), x)


def test_in_memory_tensors_refuses_transforms_and_oversized_data():
    data = make_dataset(torch.randn(30, 4), torch.arange(30) % 3)
    x, y, task = in_memory_tensors(data)
    assert x.shape == (30, 4) and torch.equal(y, torch.arange(30) % 3) and (task == 0).all()
    assert in_memory_tensors(data.replace_current_transform_group(lambda v: v * 2)) is None
    assert in_memory_tensors(data, max_mb=1e-6) is None


def _collated_one_by_one(dataset) -> list[torch.Tensor]:
    parts = [list(b) for b in DataLoader(dataset, batch_size=50, collate_fn=dataset.collate_fn)]
    return [torch.cat(column) for column in zip(*parts, strict=True)]


def test_gathered_items_are_the_dataloaders_items_bit_for_bit(stream):
    exp0, exp1 = stream.train_stream[0].dataset, stream.train_stream[1].dataset
    both = concat_datasets([exp0, exp1])
    cases = {
        "an experience": exp0.train(),
        "a test set as released (NaN columns)": stream.test_stream[0].dataset.eval(),
        "a current-feature view": stream.view("test", upto=2)[0].dataset.eval(),
        "a concatenation": both,
        "a reversed subset of one": both.subset(list(range(len(both)))[::-3]),
        "tensor data": make_dataset(torch.randn(12, 4), torch.arange(12) % 3, task_label=2),
    }
    for name, data in cases.items():
        gathered, reference = gather_items(data), _collated_one_by_one(data)
        assert gathered is not None, name
        assert len(gathered) == len(reference) == 3, name
        for got, want in zip(gathered, reference, strict=True):
            assert got.dtype == want.dtype and got.shape == want.shape, name
            assert torch.equal(got.nan_to_num(-7.0), want.nan_to_num(-7.0)), name
    assert torch.isnan(gather_items(cases["a test set as released (NaN columns)"])[0]).any()


def test_items_of_an_unknown_dataset_are_read_one_by_one():
    class Plain(torch.utils.data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return torch.full((2,), float(i)), i % 2

    data = _make_taskaware_classification_dataset(Plain(), targets=[i % 2 for i in range(6)])
    assert gather_items(data) is None
    x, y, _ = in_memory_tensors(data)  # through a DataLoader
    assert torch.equal(x[:, 0], torch.arange(6.0)) and y.tolist() == [0, 1, 0, 1, 0, 1]


def test_listens_skips_plugins_that_do_nothing_on_an_event():
    assert not listens(EvaluationPlugin(loggers=[]), "after_forward")
    assert listens(Counter(), "after_training_iteration")
    assert not listens(Counter(), "before_forward")


def test_fast_loop_keeps_plugin_callbacks_for_any_strategy(stream):
    counter = Counter()
    strategy = _al(stream, plugins=[counter])
    strategy.train(stream.train_stream[0], eval_streams=[])
    assert counter.iterations == 3 * 3  # 63 rows / 21 per batch, 3 epochs
    assert counter.outputs[0] == (21, stream.n_classes)  # AL's logits, decoded when read
    for fast in (True, False):
        counter = Counter()
        model = backprop_mlp(stream.n_features, (16,), stream.n_classes)
        naive = fast_loop_class(Naive)(
            model=model,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            criterion=torch.nn.CrossEntropyLoss(),
            train_mb_size=21,
            evaluator=EvaluationPlugin(loggers=[]),
            plugins=[counter],
            fast_loop=fast,
        )
        naive.train(stream.train_stream[0], eval_streams=[])
        assert counter.iterations == 3, fast
        assert counter.loaders == {TensorBatches if fast else "avalanche"}


def _train_all(stream, cache_mb: float):
    torch.manual_seed(0)
    strategy = _al(stream, cache_mb=cache_mb)
    depths = []
    for exp in stream.train_stream:
        strategy.train(exp, eval_streams=[])
        depths.append(strategy.cached_depth)
    return strategy.model.state_dict(), depths


def test_the_cache_changes_speed_not_results(stream):
    cached, depths = _train_all(stream, cache_mb=64)
    streamed, no_cache = _train_all(stream, cache_mb=0)
    assert depths == [0, 1, 2] and no_cache == [0, 0, 0]
    assert cached.keys() == streamed.keys()
    for key in cached:
        if key != "exit_threshold":  # NaN (uncalibrated) in both
            assert torch.equal(cached[key], streamed[key]), key


def test_cache_respects_its_memory_bound_and_skips_frozen_blocks(stream):
    _, depths = _train_all(stream, cache_mb=1e-6)  # far below 63 rows of features
    assert depths == [0, 0, 0]
    strategy = _al(stream)
    strategy.train(stream.train_stream[0], eval_streams=[])
    calls = []

    def count(module, inputs, output) -> None:
        calls.append(len(output))

    strategy.model.blocks[0].f.register_forward_hook(count)
    strategy.train(stream.train_stream[1], eval_streams=[])
    assert strategy.cached_depth == 1
    assert calls == [63]  # block 1 ran once, to fill the cache, not once per batch


class ForwardDtype(SupervisedPlugin):
    def __init__(self):
        super().__init__()
        self.train, self.eval = set(), set()

    def after_forward(self, strategy, **kwargs):
        self.train.add(strategy.mb_output.dtype)

    def after_eval_forward(self, strategy, **kwargs):
        self.eval.add(strategy.mb_output.dtype)


def test_bf16_runs_the_training_forward_in_autocast_and_keeps_float32_weights(stream):
    seen = ForwardDtype()
    model = backprop_mlp(stream.n_features, (16,), stream.n_classes)
    naive = fast_loop_class(Naive)(
        model=model,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        train_mb_size=21,
        train_epochs=2,
        evaluator=EvaluationPlugin(loggers=[]),
        plugins=[seen],
        precision="bf16",
    )
    naive.train(stream.train_stream[0], eval_streams=[])
    naive.eval(stream.test_stream[:1])
    assert seen.train == {torch.bfloat16} and seen.eval == {torch.float32}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    x, y = (torch.as_tensor(a) for a in stream.arrays("test", 0))
    nets = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        al = ALStrategy(
            model=ALNetwork(stream.n_features, stream.n_classes),
            growth=GrowthRule(MLPBackbone((16, 16, 16)), ModelConfig(label_dim=8)),
            optimizer_factory=optimizer_factory("adam", 0.01),
            train_mb_size=21,
            train_epochs=40,
            evaluator=EvaluationPlugin(loggers=[]),
            precision=precision,
        )
        al.train(stream.train_stream[0], eval_streams=[])
        nets[precision] = al.model.eval()
    with torch.no_grad():
        logits = {p: net(x) for p, net in nets.items()}
        accuracy = {p: float((out.argmax(1) == y).float().mean()) for p, out in logits.items()}
    assert not torch.equal(logits["fp32"], logits["bf16"])  # bf16 arithmetic changed training
    assert accuracy["fp32"] > 0.9 and abs(accuracy["bf16"] - accuracy["fp32"]) <= 0.05
