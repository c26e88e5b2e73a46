"""Benchmark: adaptive inference against the full path on Fashion-MNIST.

A 4-block AL MLP is trained (fixed settings, nothing tuned on test), its
exit threshold is calibrated on the validation split with the accuracy rule
of :mod:`alcl.calibration`, and then, on the test split, the chosen
threshold is compared with the full path: accuracy, FLOPs per sample
(FlopCounterMode), and wall-clock seconds per sample at several batch sizes,
both paths timed interleaved over the same samples (medians of rounds).

``--stream static`` (default): every pixel from the start, 4 blocks grown at
once. ``--stream bands``: the feature-incremental stream of 4 row bands, one
block per experience, where exit k has seen only the first k bands.

    python -m experiments.benchmarks.adaptive_inference [--stream static|bands] [--epochs 5]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from alcl import calibration, inference
from alcl.compute import exit_costs
from alcl.config import ModelConfig, TrainingConfig
from alcl.evaluation.exits import ExitAccuracy
from alcl.registry import build_strategy
from experiments.benchmarks.common import interleaved, markdown_table, median, setup, verdict
from experiments.benchmarks.data import fashion_mnist_stream
from experiments.runner import problem_of


def train(args) -> tuple:
    """Train the AL network on the chosen stream; return it and the current-feature splits."""
    n_exp = 1 if args.stream == "static" else 4
    stream = fashion_mnist_stream(n_exp, args.seed)
    model = ModelConfig(widths=list(args.widths))
    training = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr)
    params = {"initial_blocks": len(args.widths)} if args.stream == "static" else {}
    torch.manual_seed(args.seed)
    strategy = build_strategy(
        "al", params, problem_of(stream), model, training, evaluator=_silent_evaluator()
    )
    start = time.perf_counter()
    for experience in stream.train_stream:
        strategy.train(experience, eval_streams=[])
    print(f"trained {strategy.model.depth} blocks in {time.perf_counter() - start:.1f} s")
    last = stream.n_experiences - 1

    def split(name: str) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [stream.arrays(name, j, upto=last) for j in range(last + 1)]
        x = np.concatenate([p[0] for p in parts])
        return torch.as_tensor(x), torch.as_tensor(np.concatenate([p[1] for p in parts]))

    return strategy.model.eval(), split("valid"), split("test")


@torch.no_grad()
def module_chain(net, x: torch.Tensor) -> torch.Tensor:
    """The full path through the modules with no routing: every block's encoder, then the
    last exit."""
    s = None
    for block in net.blocks:
        s = block.encode(s, x)
    return net.exit_logits(s, net.depth)


def bare_chain(net):
    """The full path's math as bare ``F.linear`` calls on the weights, read once (the MLP of
    this benchmark: one Linear -> ReLU per encoder, bridge Linear -> Tanh, decoders
    Linear (-> Tanh)): the reference the batch-1 overhead is measured against."""
    encoders = [(b.f.net[0].weight, b.f.net[0].bias, b.side_input) for b in net.blocks]
    bridge = net.blocks[-1].b[1]
    decoders = [b.h if isinstance(b.h, torch.nn.Linear) else b.h[0] for b in net.blocks]
    decoders = [(h.weight, h.bias, k > 0) for k, h in enumerate(decoders)][::-1]

    @torch.no_grad()
    def run(x: torch.Tensor) -> torch.Tensor:
        s = None
        for weight, bias, side_input in encoders:
            side = side_input(x)
            z = side if s is None else s if side is None else torch.cat([s, side], dim=1)
            s = torch.relu(F.linear(z, weight, bias))
        t = torch.tanh(F.linear(s, bridge.weight, bridge.bias))
        for weight, bias, squash in decoders:
            t = F.linear(t, weight, bias)
            t = torch.tanh(t) if squash else t
        return t

    return run


def exit_accuracies(net, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> list[float]:
    """Accuracy of every exit on rows that reach every block, counted ``batch_size`` rows at a
    time."""
    metric = ExitAccuracy()
    for xb, yb in zip(torch.split(x, batch_size), torch.split(y, batch_size), strict=True):
        metric.update(net, xb, yb)
    return metric.result()


def _silent_evaluator():
    from avalanche.training.plugins import EvaluationPlugin

    return EvaluationPlugin(loggers=[])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream", choices=["static", "bands"], default="static")
    parser.add_argument("--widths", type=int, nargs="+", default=[512, 512, 512, 512])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epsilon", type=float, default=0.005)
    parser.add_argument("--z", type=float, default=1.645)
    parser.add_argument("--latency-batch-sizes", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument(
        "--router-batch-sizes", type=int, nargs="*", default=[64, 1024],
        help="request sizes also timed with adaptive_routed (deeper blocks on queued rows)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(setup(args.threads))
    net, (xv, yv), (xt, yt) = train(args)

    chosen, valid_curve = calibration.calibrate(
        net, xv, yv, rule="accuracy", epsilon=args.epsilon, z=args.z
    )
    test_curve = calibration.threshold_curve(net, xt, yt)
    print(f"\nexit accuracies, test: {np.round(exit_accuracies(net, xt, yt), 4)}")
    costs = exit_costs(net)
    print(f"FLOPs per sample, shortcut k: {costs.shortcut}; adaptive exit k: {costs.adaptive_exit}")
    rows = []
    for v, t in zip(valid_curve.candidates(), test_curve.candidates(), strict=True):
        mark = " <- chosen on validation" if v.threshold == chosen.threshold else ""
        rows.append(
            (
                "full path" if math.isinf(v.threshold) else v.threshold,
                v.accuracy,
                f"{v.drop_bound(valid_curve.n_samples, args.z):+.4f}",
                t.accuracy,
                f"{t.mean_flops:.0f}",
                f"{t.mean_depth:.2f}",
                f"{t.exit_counts}{mark}",
            )
        )
    header = ("threshold", "valid acc", "valid drop+z*se", "test acc", "test FLOPs/sample")
    print(markdown_table(header + ("mean depth", "test exits per depth"), rows))

    bare = bare_chain(net)
    if not torch.equal(bare(xt[:64]), inference.full_path(net, xt[:64]).logits):
        raise RuntimeError("the bare chain does not compute the full path's logits")
    tau = chosen.threshold
    point, full = test_curve.at(tau), test_curve.full_path
    print(f"\nlatency on the test split (seconds per sample, median of {args.rounds} rounds)")
    latency_rows, speedups = [], {}
    for size in args.latency_batch_sizes:
        x = xt[: max(size * 8, 2048)] if size < 64 else xt
        batches = list(torch.split(x, size))

        def over_batches(predict, batches=batches):
            def run() -> None:
                for batch in batches:
                    predict(batch)

            return run

        variants = {
            "adaptive": over_batches(lambda b: inference.adaptive(net, b, tau)),
            "full": over_batches(lambda b: inference.full_path(net, b)),
        }
        if size == 1:  # the same math with no routing: bare kernels, and the modules
            variants["bare"] = over_batches(bare)
            variants["modules"] = over_batches(lambda b: module_chain(net, b))
        routed = size in args.router_batch_sizes
        if routed:  # the same requests, their undecided rows queued per depth
            variants["router"] = lambda x=x, size=size: inference.adaptive_routed(
                net, x, tau, batch_size=size
            )
        times = interleaved(variants, args.rounds + 1)
        a = median(times["adaptive"][1:]) / len(x)  # the first round is a warm-up
        f = median(times["full"][1:]) / len(x)
        speedups[size] = f / a
        latency_rows.append((size, len(x), f"{a * 1e6:.2f}", f"{f * 1e6:.2f}", f"{f / a:.2f}x"))
        if size == 1:
            bare_s = median(times["bare"][1:]) / len(x)
            modules = median(times["modules"][1:]) / len(x)
            overhead = (
                f"{f * 1e6:.1f} vs {bare_s * 1e6:.1f} us (the modules called in a chain: "
                f"{modules * 1e6:.1f} us)",
                f / bare_s,
            )
        if routed:
            r = median(times["router"][1:]) / len(x)
            speedups[f"{size} with the router"] = f / r
            latency_rows.append(
                (f"{size}, router", len(x), f"{r * 1e6:.2f}", f"{f * 1e6:.2f}", f"{f / r:.2f}x")
            )
    print(
        markdown_table(
            ("batch size", "samples", "adaptive us/sample", "full path us/sample", "speed-up"),
            latency_rows,
        )
    )
    drop = (full.accuracy - point.accuracy) * 100
    flops_ratio = full.mean_flops / point.mean_flops
    print(f"\nthreshold chosen on validation: {tau} (epsilon {args.epsilon}, z {args.z})")
    print(
        f"test accuracy {point.accuracy:.4f} vs full path {full.accuracy:.4f}: "
        f"{drop:.2f} points lower (target <= 0.5): {verdict(drop <= 0.5)}"
    )
    print(
        f"FLOPs per sample {point.mean_flops:.0f} vs {full.mean_flops:.0f}: "
        f"{flops_ratio:.2f}x fewer (target >= 2): {verdict(flops_ratio >= 2)}"
    )
    for size, ratio in speedups.items():
        print(
            f"wall-clock at batch {size}: {ratio:.2f}x faster (target >= 2): {verdict(ratio >= 2)}"
        )
    if 1 in args.latency_batch_sizes:
        text, ratio = overhead
        print(
            f"full path at batch 1 against a bare F.linear chain of the same math: {text}, "
            f"{ratio:.2f}x (target <= 1.2): {verdict(ratio <= 1.2)}"
        )


if __name__ == "__main__":
    main()
