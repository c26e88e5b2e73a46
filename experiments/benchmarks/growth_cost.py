"""Benchmark: the training cost of AL's growth against Naive, per experience.

Every variant trains through the same stream with the same widths, epochs,
batch size and optimizer; rounds run the variants in turn and each
experience's time is the median over rounds (wall clock of ``strategy.train``,
so it includes reading the data and filling AL's cache):

- ``al``: AL as alcl runs it (tensor batches, lean callbacks, cache of
  frozen-block outputs);
- ``al/avl``: AL on Avalanche's loader and callback dispatch, no cache;
- ``naive/avl``: Avalanche's Naive exactly as shipped;
- ``naive/fast``: Naive on the same fast loop as AL (:class:`alcl.training.loop.FastLoop`),
  so that ``al / naive/fast`` is AL's own advantage (frozen blocks, a
  backward pass through the new block only, cached features) and not the loader's.

Then, on 8-experience streams, the cost of experience 8 against experience 1.
Training settings are the default config's (widths 4 x 128, 30 epochs, batch
32, Adam 3e-3); Fashion-MNIST uses a seeded subset of 20,000 images by default
to keep the run within minutes.

    python -m experiments.benchmarks.growth_cost [--rounds 3] [--batch-size 256] [--lengths 4 8]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from alcl.config import ModelConfig, TrainingConfig
from alcl.registry import build_strategy
from experiments.benchmarks.common import markdown_table, setup, verdict
from experiments.benchmarks.data import fashion_mnist_stream
from experiments.config import load_config
from experiments.runner import build_stream, problem_of

VARIANTS = {
    "al": ("al", "fast"),
    "al/avl": ("al", "avalanche"),
    "naive/avl": ("naive", "avalanche"),
    "naive/fast": ("naive", "fast"),
}


def experience_seconds(
    stream, name: str, loop: str, model: ModelConfig, training: TrainingConfig, seed: int
) -> list[float]:
    """Wall-clock seconds of ``strategy.train`` on each experience of ``stream``."""
    from avalanche.training.plugins import EvaluationPlugin

    from experiments.runner import quiet_avalanche

    torch.manual_seed(seed)
    with quiet_avalanche():
        strategy = build_strategy(
            name,
            {},
            problem_of(stream),
            model,
            replace(training, loop=loop),
            evaluator=EvaluationPlugin(loggers=[]),
            plugins=[],
        )
        seconds = []
        for experience in stream.train_stream:
            start = time.perf_counter()
            strategy.train(experience, eval_streams=[])
            seconds.append(time.perf_counter() - start)
    return seconds


def compare(
    title: str,
    stream,
    model: ModelConfig,
    training: TrainingConfig,
    variants: dict,
    rounds: int,
) -> dict:
    """Per-experience median seconds of every variant, printed with the AL/Naive ratios."""
    runs: dict[str, list[list[float]]] = {v: [] for v in variants}
    for _ in range(rounds):
        for label, (name, loop) in variants.items():
            runs[label].append(experience_seconds(stream, name, loop, model, training, seed=0))
    med = {label: np.median(np.array(r), axis=0) for label, r in runs.items()}
    print(f"\n{title}: seconds per experience, median of {rounds} rounds")
    header = ["experience", *variants]
    ratios = [k for k in ("naive/avl", "naive/fast") if k in variants and "al" in variants]
    header += [f"al / {k}" for k in ratios]
    rows = []
    for i in range(stream.n_experiences):
        row = [i + 1, *(f"{med[v][i]:.3f}" for v in variants)]
        row += [f"{med['al'][i] / med[k][i]:.2f}" for k in ratios]
        rows.append(row)
    total = ["total", *(f"{med[v].sum():.3f}" for v in variants)]
    total += [f"{med['al'].sum() / med[k].sum():.2f}" for k in ratios]
    print(markdown_table(header, [*rows, total]))
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fashion-epochs", type=int, default=None, help="default: the config's")
    parser.add_argument("--fashion-samples", type=int, default=20000, help="0: all 70,000")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument(
        "--lengths", type=int, nargs="+", default=[4, 8], help="stream lengths to run (4 and/or 8)"
    )
    parser.add_argument("--rounds-8", type=int, default=5, help="rounds for the 8-experience runs")
    args = parser.parse_args()
    print(setup(args.threads))
    cfg = load_config()
    digits = {t: build_stream(replace(cfg.stream, n_experiences=t), 0) for t in args.lengths}
    fashion = {t: fashion_mnist_stream(t, 0, args.fashion_samples or None) for t in args.lengths}
    d = (
        cfg.training
        if args.batch_size is None
        else replace(cfg.training, batch_size=args.batch_size)
    )
    widths = cfg.model.widths
    # Every other setting keeps its default (label codes, optimizer, eval batch size, loop).
    model = ModelConfig(widths=list(widths))
    verdicts = []
    for label, streams, epochs in (
        ("digits (the default stream)", digits, d.epochs),
        ("Fashion-MNIST row bands", fashion, args.fashion_epochs or d.epochs),
    ):
        training = TrainingConfig(epochs=epochs, batch_size=d.batch_size, lr=d.lr)
        if 4 in args.lengths:
            title = f"{label}, 4 experiences"
            med = compare(title, streams[4], model, training, VARIANTS, args.rounds)
            for k in ("naive/avl", "naive/fast"):
                ratio = med["al"].sum() / med[k].sum()
                verdicts.append(
                    f"{label}: AL / {k} = {ratio:.2f} (target <= 0.5): {verdict(ratio <= 0.5)}"
                )
        if 8 in args.lengths:
            variants8 = {k: VARIANTS[k] for k in ("al", "naive/fast")}
            title = f"{label}, 8 experiences"
            med = compare(title, streams[8], model, training, variants8, args.rounds_8)
            growth = med["al"][7] / med["al"][0]
            verdicts.append(
                f"{label}: AL time(exp 8) / time(exp 1) = {growth:.2f} (target <= 1.2): "
                f"{verdict(growth <= 1.2)}"
            )
    print(f"\nwidths {list(widths)}, batch size {d.batch_size}, lr {d.lr}, optimizer {d.optimizer}")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
