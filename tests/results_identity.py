"""Digest of the results a set of `alcl run` experiments computes, to check that a refactor keeps
every number: ``python -m tests.results_identity OUT.json`` runs them and writes the digest;
``python -m tests.results_identity --compare A.json B.json`` lists every difference.

The experiments: the default run (``alcl run`` without a config), every strategy on digits, the
image backbones on a small Fashion-MNIST file, the text backbones and TF-IDF fields on a small
AG News file, and the other stream kinds. Wall-clock keys are left out (they differ by nature);
everything else (matrices, curves, exits, FLOPs, adaptive curves, model fingerprints) is kept.
It only drives the command line and reads the metrics files, so it runs against any version.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tests.experiments.helpers import metrics_of
from tests.streams.formats import news_rows, write_csv, write_mnist

FAST = {"seeds": [0], "device": "cpu", "threads": 1, "adaptive": {"latency_repeats": 0}}
EVERY_STRATEGY = [
    "al", "al-nofreeze", "bp-grow", "naive", "cumulative", "joint", "ewc", "online-ewc",
    "si", "mas", "lwf", "replay", "gem", "agem", "der", "pnn",
]  # fmt: skip


def experiments(data: Path) -> dict[str, dict[str, Any] | None]:
    """Name -> config (None: the built-in default experiment)."""
    small = {"widths": [32, 32, 32], "label_dim": 16}
    image = {
        "dataset": "fashion_mnist",
        "data_root": str(data),
        "download": False,
        "grouping": "horizontal_bands",
        "n_experiences": 2,
        "valid_fraction": 0.25,
    }
    news = {"dataset": "ag_news", "path": str(data / "news.csv"), "n_experiences": 2}
    train = {"epochs": 2, "batch_size": 32}
    out: dict[str, dict[str, Any] | None] = {"default": None}
    out["digits_every_strategy"] = {
        "stream": {"dataset": "digits", "n_experiences": 3},
        "model": small,
        "training": {"epochs": 3, "batch_size": 32},
        "strategies": EVERY_STRATEGY,
    }
    for backbone in ("cnn", "vgg", "resnet"):
        out[f"fashion_{backbone}"] = {
            "stream": image,
            "model": {"widths": [8, 8], "label_dim": 8, "backbone": backbone},
            "training": {"epochs": 1, "batch_size": 32},
            "strategies": ["al", "bp-grow", "naive"],
        }
    for backbone in ("lstm", "transformer"):
        out[f"news_{backbone}"] = {
            "stream": {**news, "grouping": "fields", "encoding": "tokens", "max_length": 12,
                       "vocab_size": 60},
            "model": {"widths": [16, 16], "label_dim": 8, "backbone": backbone},
            "training": train,
            "strategies": ["al", "naive"],
        }  # fmt: skip
    out["news_tfidf_fields"] = {
        "stream": {**news, "grouping": "fields", "encoding": "tfidf", "vocab_size": 40},
        "model": small,
        "training": train,
        "strategies": ["al", "naive", "joint"],
    }
    for kind, extra in (
        ("class_incremental", {"n_experiences": 2}),
        ("domain", {"n_experiences": 2, "domain_transform": "permute"}),
        ("repeated", {"n_experiences": 3}),
        ("static", {"n_experiences": 1}),
    ):
        out[f"digits_{kind}"] = {
            "stream": {"dataset": "digits", "kind": kind, **extra},
            "model": small,
            "training": train,
            # al is refused on class-incremental streams (it cannot learn later classes)
            "strategies": [
                "al-nofreeze" if kind == "class_incremental" else "al",
                "naive",
                "replay",
            ],
        }
    out["wine_random_mask_mean"] = {
        "stream": {"dataset": "wine", "grouping": "random", "n_experiences": 3},
        "model": {**small, "absent": "zero+mask"},
        "training": {"epochs": 5, "batch_size": 16},
        "strategies": ["al", "naive", {"name": "ewc", "label": "ewc-mean", "absent": "mean"}],
    }
    return out


CLI = (
    "import sys\n"
    "try:\n    from alcl.cli import main\n"  # before the CLI moved to experiments
    "except ImportError:\n    from experiments.cli import main\n"
    "sys.exit(main(sys.argv[1:]))"
)


def run_all(out_json: Path) -> None:
    digest: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_mnist(tmp / "FashionMNIST" / "raw", n_train=400, n_test=80)
        write_csv(tmp / "news.csv", news_rows(240), ["label", "title", "description"])
        for name, cfg in experiments(tmp).items():
            folder = tmp / "out" / name
            args = ["run", "--out", str(folder), "--no-progress"]
            if cfg is not None:
                path = tmp / f"{name}.yaml"
                path.write_text(yaml.safe_dump({"name": name, **FAST, **cfg}))
                args.insert(1, str(path))
            subprocess.run([sys.executable, "-c", CLI, *args], check=True, capture_output=True)
            digest[name] = metrics_of(folder)
            print(name, len(digest[name]), "runs", flush=True)
    out_json.write_text(json.dumps(digest, indent=1, sort_keys=True))


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for key in sorted(set(a) & set(b)):
            out += differences(a[key], b[key], f"{where}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{where}[{i}]")
        ]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    parser.add_argument("--ignore", nargs="*", default=["schema_version"], help="keys to ignore")
    args = parser.parse_args()
    if args.compare:
        a, b = (json.loads(p.read_text()) for p in args.compare)
        diffs = [d for d in differences(a, b) if not any(k in d for k in args.ignore)]
        print("\n".join(diffs) or "identical")
        runs = sum(len(v) for v in a.values())
        print(f"{len(a)} experiments, {runs} runs compared; {len(diffs)} difference(s)")
        return 1 if diffs else 0
    run_all(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
