"""Benchmark: AL's training step inside Avalanche against a bare PyTorch loop on the same block.

For experience 1 (nothing frozen) and the last experience (every earlier
block frozen, their outputs cached) of the Fashion-MNIST row-band stream,
the block that experience adds (same architecture and initialisation
scheme) is trained twice on the same tensors, with the same batch size,
epochs and optimizer:

- ``al``: ``ALStrategy.train`` (Avalanche's template, plugins, alcl's fast loop);
- ``bare``: a plain loop: shuffle, slice, ``block.local``, backward, step.

The time per step is the time spent in training epochs divided by the
number of steps (median over interleaved rounds); the per-experience set-up
(reading the data, filling the cache) is shown apart.

    python -m experiments.benchmarks.training_step [--batch-sizes 32 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from avalanche.core import SupervisedPlugin

from alcl.backbones import MLPBackbone
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from alcl.strategy import ALStrategy
from alcl.training.optim import optimizer_factory
from experiments.benchmarks.common import markdown_table, median, setup, verdict
from experiments.benchmarks.data import fashion_mnist_stream


class EpochClock(SupervisedPlugin):
    """Seconds spent inside training epochs, and the number of steps taken."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds, self.steps, self._start = 0.0, 0, 0.0

    def before_training_epoch(self, strategy, **kwargs) -> None:
        self._start = time.perf_counter()

    def after_training_epoch(self, strategy, **kwargs) -> None:
        self.seconds += time.perf_counter() - self._start
        self.steps += len(strategy.dataloader)


def growth_rule(args) -> GrowthRule:
    """One MLP block per experience, with 32-wide label codes."""
    return GrowthRule(MLPBackbone(tuple(args.widths)), ModelConfig(label_dim=32))


def make_strategy(net: ALNetwork, args, plugins=()) -> ALStrategy:
    from avalanche.training.plugins import EvaluationPlugin

    return ALStrategy(
        model=net,
        growth=growth_rule(args),
        optimizer_factory=optimizer_factory("adam", args.lr),
        train_mb_size=args.batch_size,
        train_epochs=args.epochs,
        evaluator=EvaluationPlugin(loggers=[]),
        plugins=list(plugins),
    )


def al_run(base: ALNetwork, experience, args) -> tuple[float, float]:
    """(seconds per step, seconds for the whole experience) of ALStrategy."""
    clock = EpochClock()
    strategy = make_strategy(copy.deepcopy(base), args, [clock])
    torch.manual_seed(1)
    start = time.perf_counter()
    strategy.train(experience, eval_streams=[])
    return clock.seconds / clock.steps, time.perf_counter() - start


def bare_run(base: ALNetwork, experience, x, y, args) -> tuple[float, float]:
    """The same block, grown by the same rule, trained by a plain PyTorch loop on cached inputs."""
    start = time.perf_counter()
    net = copy.deepcopy(base)
    torch.manual_seed(1)
    growth_rule(args).grow(net, experience.new_columns)
    block = net.blocks[-1]
    frozen = net.depth - 1
    with torch.no_grad():
        prefix = net.prefix(x, y, frozen) if frozen else None
    s_all = None if prefix is None else prefix.s
    t_all = F.one_hot(y, net.n_classes).float() if prefix is None else prefix.t
    optimizer = optimizer_factory("adam", args.lr)(block.parameters())
    generator = torch.Generator().manual_seed(2)
    n, size, steps = len(x), args.batch_size, 0
    loop_start = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=generator)
        for first in range(0, n, size):
            rows = order[first : first + size]
            optimizer.zero_grad()
            s_prev = None if s_all is None else s_all[rows]
            out = block.local(s_prev, t_all[rows], x[rows], y[rows])
            out.loss.backward()
            optimizer.step()
            steps += 1
    end = time.perf_counter()
    return (end - loop_start) / steps, end - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--widths", type=int, nargs="+", default=[128, 128, 128, 128])
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--samples", type=int, default=None, help="default: all 70,000")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(setup(args.threads))
    args.batch_size = args.batch_sizes[0]
    stream = fashion_mnist_stream(4, 0, args.samples)
    # The frozen blocks of the last experience: grow (and train briefly) through the others.
    warm = make_strategy(ALNetwork(stream.n_features, stream.n_classes), args)
    bases = {1: copy.deepcopy(warm.model)}
    for experience in stream.train_stream[:-1]:
        warm.train(experience, eval_streams=[])
    bases[stream.n_experiences] = copy.deepcopy(warm.model)
    rows, worst = [], 0.0
    for size in args.batch_sizes:
        args.batch_size = size
        for t, base in bases.items():
            experience = stream.train_stream[t - 1]
            x, y = (torch.as_tensor(a) for a in stream.arrays("train", t - 1))
            results = {"al": [], "bare": []}
            for _ in range(args.rounds):
                results["al"].append(al_run(base, experience, args))
                results["bare"].append(bare_run(base, experience, x, y, args))
            al_step = median([r[0] for r in results["al"]])
            bare_step = median([r[0] for r in results["bare"]])
            al_exp = median([r[1] for r in results["al"]])
            bare_exp = median([r[1] for r in results["bare"]])
            worst = max(worst, al_step / bare_step)
            rows.append(
                (
                    size,
                    t,
                    base.depth,
                    f"{al_step * 1e6:.0f}",
                    f"{bare_step * 1e6:.0f}",
                    f"{al_step / bare_step:.2f}",
                    f"{al_exp:.3f}",
                    f"{bare_exp:.3f}",
                )
            )
    print(f"\nFashion-MNIST row bands, {len(x)} training rows per experience, {args.epochs} epochs")
    header = ("batch", "experience", "frozen blocks", "AL us/step", "bare us/step", "ratio")
    print(markdown_table(header + ("AL s/experience", "bare s/experience"), rows))
    print(f"\nworst AL / bare step ratio {worst:.2f} (target <= 1.3): {verdict(worst <= 1.3)}")


if __name__ == "__main__":
    main()
