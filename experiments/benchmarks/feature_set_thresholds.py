"""Benchmark: adaptive thresholds per feature set against one threshold, rows as released.

Runs a suite (default: the 15 streams of ``experiments/suites/answer_exits.yaml``, 10 seeds,
its shared settings, nothing tuned) with AL alone and ``adaptive.per_feature_set: true``:
after the last experience each feature set's threshold is chosen on its own validation
rows as released, with the rule the run uses (accuracy within epsilon of the full path,
z standard errors of margin), and beside it one threshold chosen by the same rule on the
same rows (:mod:`alcl.feature_set_thresholds`). On the test rows as released it prints,
per stream, the mean FLOPs per sample and the accuracy of both rules and of the full path,
and the paired per-set - one differences over seeds (Wilcoxon, Holm over streams).

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.feature_set_thresholds [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from alcl.results.files import load_runs
from alcl.results.stats import holm, mean_ci, paired
from experiments.benchmarks.common import markdown_table
from experiments.suite import load_suite, run_suite

SUITE = Path(__file__).resolve().parents[1] / "suites" / "answer_exits.yaml"


def _summaries(folder: Path) -> list[dict]:
    runs = sorted(load_runs(folder), key=lambda r: r.seed)
    return [r.al.adaptive["by_feature_set"]["summary"] for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=str(SUITE))
    parser.add_argument("--out", help="results folder (default: a temporary folder)")
    parser.add_argument("--set", action="append", default=[], help="more suite overrides")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    out = args.out or tempfile.mkdtemp(prefix="alcl-feature-set-thresholds-")
    overrides = ["strategies=[al]", "adaptive.per_feature_set=true", *args.set]
    suite = load_suite(args.suite, overrides, out=out)
    root = run_suite(suite, progress=True)
    rows, p_flops, p_acc = [], [], []
    for variant in suite.variants:
        folder = root / variant.name
        if not folder.is_dir():
            continue
        s = _summaries(folder)
        pick = {key: [x[key] for x in s] for key in s[0]}
        flops = paired(pick["per_set_flops"], pick["one_flops"])
        acc = paired(pick["per_set_accuracy"], pick["one_accuracy"])
        p_flops.append(flops.p_value)
        p_acc.append(acc.p_value)
        full = mean_ci(pick["full_flops"]).mean
        rows.append(
            [
                variant.name,
                len(s),
                f"{mean_ci(pick['one_flops']).mean / full:.3f}",
                f"{mean_ci(pick['per_set_flops']).mean / full:.3f}",
                f"{100 * flops.mean_diff / full:+.1f} ± {100 * flops.ci.half_width / full:.1f}",
                f"{mean_ci(pick['full_accuracy']).mean:.4f}",
                f"{mean_ci(pick['one_accuracy']).mean:.4f}",
                f"{mean_ci(pick['per_set_accuracy']).mean:.4f}",
                f"{100 * acc.mean_diff:+.2f} ± {100 * acc.ci.half_width:.2f}",
            ]
        )
    for row, pf, pa in zip(rows, holm(p_flops), holm(p_acc), strict=True):
        row[4] += f" (Holm p {pf:.3f})"
        row[8] += f" (Holm p {pa:.3f})"
    header = [
        "stream", "seeds", "FLOPs one / full", "FLOPs per set / full",
        "per set − one, % of full FLOPs", "acc. full path", "acc. one", "acc. per set",
        "per set − one, points",
    ]  # fmt: skip
    print(f"\nrows as released, test split; results in {root}\n")
    print(markdown_table(header, rows))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
