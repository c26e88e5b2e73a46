"""Benchmark: AL's options, one ablation row each, against AL as shipped, with the statistics
of the suites.

Every variant changes one setting of AL as shipped (the feature-incremental suite's shared
settings: 4 x 64, label codes 32, Adam 3e-3, 20 epochs, batch 32):

- ``bridge-mlp``: the bridge pool -> Linear -> ReLU -> Linear -> Tanh with 64 hidden units
  (``model.bridge_hidden``), the wider bridge of Kao & Chen's code;
- ``t-not-detached``: the associated loss also moves the label encoder g, as public
  PyTorch AL code does (``model.detach_t: false``);
- ``label-16``, ``label-64``: the label-code width (``model.label_dim``);
- ``warm-start``: new blocks start near their parent's exit (``al: warm_start``);
- ``best-exit``: each feature set answered by its best exit on validation (``al: answer``);
- ``head-lda``: every exit answers by LDA on its class statistics (``al: head``);
- ``init-orthogonal``, ``init-xavier``: new blocks' weights (``model.block_init``);

and, on AG News fields with the thesis's LSTM (when ``../shared/data/ag_news_test.csv`` is
there), the LSTM options: ``bilstm``, ``lstm-packed``, ``bilstm-packed``
(``model.backbone_options.lstm``).

Each (stream, variant) is an ``alcl run`` folder under ``OUT/<stream>/<variant>/`` with 10
evaluation seeds, so an interrupted benchmark resumes. Printed per stream: each variant's
final average accuracy as released and with current features (mean ± 95 % t CI), its paired
difference to AL as shipped (points, mean ± CI), the Wilcoxon signed-rank p-value,
Holm-corrected over the variants, and the seeds where the variant is higher; then each
variant's mean rank over the streams. Nothing here is tuned: every variant trains on the
same budget as AL.

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.al_ablations [--seeds 10] [--jobs 0]
        [--streams digits-contiguous-4,...] [--out results/benchmarks/al_ablations]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from experiments.benchmarks.common import markdown_table, setup

SHARED = {
    "device": "cpu",
    "threads": 1,
    "model": {"widths": [64, 64, 64, 64], "label_dim": 32},
    "training": {"epochs": 20, "batch_size": 32, "lr": 0.003},
    "adaptive": {"latency_repeats": 0},
}
STREAMS = {
    "digits-contiguous-4": {"dataset": "digits", "n_experiences": 4},
    "wine-contiguous-5": {"dataset": "wine", "n_experiences": 5},
    "breast-cancer-random-4": {"dataset": "breast_cancer", "grouping": "random", "n_experiences": 4},
    "fashion-mnist-bands-4": {
        "dataset": "fashion_mnist", "grouping": "horizontal_bands", "n_experiences": 4,
        "fraction": 0.1, "download": False,
    },
}  # fmt: skip
TEXT_STREAMS = {
    # AG News titles, then descriptions (../shared/data), the LSTM of the thesis's text
    # config (thesis_feature_incorporation_text_cpu): its own variants, the LSTM options
    "ag-news-fields-lstm": {
        "stream": {
            "dataset": "ag_news", "path": "../shared/data/ag_news_test.csv", "grouping": "fields",
            "n_experiences": 2, "encoding": "tokens", "max_length": 48, "vocab_size": 5000,
            "download": False,
        },
        "model": {"backbone": "lstm", "widths": [64, 64], "label_dim": 32},
        "training": {"epochs": 5, "batch_size": 64, "lr": 0.003},
    },
}  # fmt: skip
"""Streams: three embedded tables and, where its files are installed, Fashion-MNIST."""
BASELINE = "al"
VARIANTS: dict[str, dict] = {
    BASELINE: {},
    "bridge-mlp": {"model": {"bridge_hidden": 64}},
    "t-not-detached": {"model": {"detach_t": False}},
    "label-16": {"model": {"label_dim": 16}},
    "label-64": {"model": {"label_dim": 64}},
    "warm-start": {"al": {"warm_start": True}},
    "best-exit": {"al": {"answer": "best_valid"}},
    "head-lda": {"al": {"head": "lda"}},
    "init-orthogonal": {"model": {"block_init": "orthogonal"}},
    "init-xavier": {"model": {"block_init": "xavier"}},
}
LSTM_VARIANTS: dict[str, dict] = {
    BASELINE: {},
    "bilstm": {"model": {"backbone_options": {"lstm": {"bidirectional": True}}}},
    "lstm-packed": {"model": {"backbone_options": {"lstm": {"packed": True}}}},
    "bilstm-packed": {
        "model": {"backbone_options": {"lstm": {"bidirectional": True, "packed": True}}}
    },
}
METRICS = ("avg_accuracy", "current_accuracy")


def variants_of(stream: str) -> dict[str, dict]:
    return LSTM_VARIANTS if stream in TEXT_STREAMS else VARIANTS


def stream_settings(stream: str) -> tuple[dict, dict, dict]:
    """(stream section, model section, training section) of ``stream``."""
    if stream in TEXT_STREAMS:
        text = TEXT_STREAMS[stream]
        return text["stream"], {**SHARED["model"], **text["model"]}, text["training"]
    return STREAMS[stream], SHARED["model"], SHARED["training"]


def variant_config(stream: str, variant: dict, seeds: list[int], jobs: int) -> dict:
    section, model, training = stream_settings(stream)
    return {
        **SHARED,
        "seeds": seeds,
        "jobs": jobs,
        "stream": section,
        "model": {**model, **variant.get("model", {})},
        "training": training,
        "strategies": [{"name": "al", **variant.get("al", {})}],
    }


def finals(folder: Path, metric: str) -> dict[int, float]:
    from alcl.results.files import load_runs

    return {run.seed: run.final[metric] for run in load_runs(folder)}


def stream_table(out: Path, stream: str, metric: str) -> tuple[str, dict[str, float]]:
    from alcl.results.stats import holm, mean_ci, paired

    variants = variants_of(stream)
    base = finals(out / stream / BASELINE, metric)
    seeds = sorted(base)
    pairs = {}
    for name in variants:
        if name != BASELINE:
            mine = finals(out / stream / name, metric)
            pairs[name] = paired([mine[s] for s in seeds], [base[s] for s in seeds])
    adjusted = dict(zip(pairs, holm([p.p_value for p in pairs.values()]), strict=True))
    rows, means = [], {}
    for name in variants:
        values = finals(out / stream / name, metric)
        ci = mean_ci([values[s] for s in seeds])
        means[name] = ci.mean
        if name == BASELINE:
            rows.append([name, len(seeds), ci.format(4), "-", "-", "-"])
            continue
        pair = pairs[name]
        tie = "" if adjusted[name] < 0.05 else " (tie)"
        rows.append([
            name, len(seeds), ci.format(4),
            f"{pair.mean_diff * 100:+.2f} ± {pair.ci.half_width * 100:.2f}{tie}",
            f"{pair.p_value:.3g} ({adjusted[name]:.3g})", f"{pair.wins}/{pair.n}",
        ])  # fmt: skip
    header = ["variant", "n", f"{metric} (mean ± 95 % CI)", "variant − al (points)",
              "Wilcoxon p (Holm)", "variant higher"]  # fmt: skip
    return markdown_table(header, rows), means


def main(argv: list[str] | None = None) -> None:
    from experiments.config import config_from_dict
    from experiments.runner import run_experiment
    from streams import StreamConfig, load_stream_data
    from streams.validation import DataError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--streams", default=",".join([*STREAMS, *TEXT_STREAMS]))
    parser.add_argument("--out", default="results/benchmarks/al_ablations")
    args = parser.parse_args(argv)
    print(setup(1), f"load average {os.getloadavg()[0]:.2f}", flush=True)
    unknown = sorted(set(args.streams.split(",")) - set(STREAMS) - set(TEXT_STREAMS))
    if unknown:
        raise SystemExit(f"unknown stream {unknown}; choose from {[*STREAMS, *TEXT_STREAMS]}.")
    out, seeds, start = Path(args.out), list(range(args.seeds)), time.perf_counter()
    ran = []
    for stream in args.streams.split(","):
        try:
            data = load_stream_data(StreamConfig(**stream_settings(stream)[0]))
        except (DataError, FileNotFoundError) as err:
            print(f"skipping {stream}: {str(err).splitlines()[0]}")
            continue
        for name, variant in variants_of(stream).items():
            cfg = config_from_dict(variant_config(stream, variant, seeds, args.jobs))
            run_experiment(cfg, out / stream / name, progress=False, plots=False, data=data)
            print(f"{stream} {name}: done ({time.perf_counter() - start:.0f} s)", flush=True)
        ran.append(stream)
    from alcl.results.stats import friedman, mean_ranks

    lines = []
    for metric in METRICS:
        scores = []
        for stream in ran:
            table, means = stream_table(out, stream, metric)
            lines += [f"### {stream}, {metric} ({args.seeds} seeds)", "", table, ""]
            if stream in STREAMS:  # the text stream has variants of its own
                scores.append([means[n] for n in VARIANTS])
        if len(scores) < 2:
            continue
        ranked = sorted(zip(VARIANTS, mean_ranks(scores), strict=True), key=lambda t: t[1])
        test = friedman(scores)
        lines += [
            f"### mean rank over {len(scores)} streams, {metric} (1 = best; Friedman p = "
            f"{test.p_value:.3g})", "",
            markdown_table(["variant", "mean rank"], [[n, f"{r:.2f}"] for n, r in ranked]), "",
        ]  # fmt: skip
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    print(text)
    print(f"load average {os.getloadavg()[0]:.2f}; {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
