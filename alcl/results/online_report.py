"""The online protocol's results files and its table: errors, balanced accuracy, paired tests.

An online run (one learner, one seed: a shuffle of the rows) is one JSON record: what
:class:`alcl.online.OnlineResult` holds, plus the learner's key, name and settings, the
pattern and the data set. ``alcl run`` writes them to ``<folder>/online/<key>__seed<k>.json``
(:mod:`experiments.online_runner`); the benchmark ``experiments.benchmarks.trapezoidal``
writes the same records in its own folders. Everything here reads those files back.

The table gives, per learner: the number of shuffles, the error count as the papers report
it (mean ± std) with its 95 % t interval, accuracy and balanced accuracy (mean and 95 %
interval), and its paired difference to the reference (AL) over the same shuffles: mean
error difference with its interval, the Wilcoxon signed-rank p-value, Holm-corrected over
the table's learners, and the shuffles where the reference erred less. A difference whose
Holm p is 0.05 or more is marked a tie. The majority-class floor heads every table.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from alcl.results.stats import holm, mean_ci, paired
from alcl.results.tables import csv_text

ONLINE_DIR = "online"
ONLINE_CSV = "online.csv"
ONLINE_MD = "online.md"
REFERENCE = "al"
ALPHA = 0.05
RUN_COLUMNS = (
    "dataset", "pattern", "learner", "seed", "n_instances", "errors", "accuracy",
    "balanced_accuracy", "seconds", "instances_per_second",
)  # fmt: skip
HEADER = (
    "learner", "n", "errors (mean ± std)", "errors 95 % CI", "accuracy", "balanced acc.",
    "AL − learner errors (95 % CI)", "Wilcoxon p (Holm)", "AL fewer", "instances/s", "s/run",
)  # fmt: skip


def online_run_path(folder: str | Path, key: str, seed: int) -> Path:
    return Path(folder) / ONLINE_DIR / f"{key}__seed{seed}.json"


def online_record(result, stream, pattern, **about: Any) -> dict[str, Any]:
    """One run's record: what :class:`alcl.online.OnlineResult` holds, the stream it ran on
    (its :class:`~streams.evolving.EvolvingPattern`, width, classes, majority-class floor and
    share of present cells) and ``about`` (learner, settings, data set, ...)."""
    import dataclasses

    counts = np.bincount(stream.y, minlength=stream.n_classes)
    return {
        **dataclasses.asdict(result),
        "pattern": pattern.pattern,
        "online": dataclasses.asdict(pattern),
        "n_features": int(stream.x.shape[1]),
        "n_classes": int(stream.n_classes),
        "majority_floor": int(len(stream.y) - counts.max()),
        "present_share": float(stream.mask.mean()),
        **about,
    }


def is_online_record(record: Any) -> bool:
    return isinstance(record, dict) and "error_rate" in record and "errors" in record


def read_online_runs(folder: str | Path) -> dict[str, dict[str, list[dict]]]:
    """dataset -> learner -> its runs' records (by seed), from every online record under
    ``folder``."""
    runs: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if is_online_record(record):
            runs[record.get("dataset", path.parent.name)][record["learner"]].append(record)
    ordered: dict[str, dict[str, list[dict]]] = {}
    for dataset, by_learner in runs.items():
        for records in by_learner.values():
            records.sort(key=lambda r: r["seed"])
        # the config's order of the learners (records that lack it: by name)
        names = sorted(by_learner, key=lambda n: (by_learner[n][0].get("order", 1e9), n))
        ordered[dataset] = {name: by_learner[name] for name in names}
    return ordered


def pattern_label(record: dict) -> str:
    """The pattern a run streamed, with the setting that defines it."""
    pattern, online = str(record.get("pattern", "?")), record.get("online") or {}
    if pattern == "haphazard" and "p" in online:
        return f"haphazard p = {online['p']:g}, base {online.get('base', 0)}"
    if "n_chunks" in online:
        return f"{pattern}, {online['n_chunks']} chunks, base {online.get('base', 0)}"
    return pattern


def majority_floor(records: list[dict]) -> float:
    """The errors of always answering the stream's largest class, from any learner's runs."""
    return float(np.mean([r["majority_floor"] for r in records if "majority_floor" in r]))


def online_rows(by_learner: dict[str, list[dict]], reference: str = REFERENCE) -> list[list[Any]]:
    """One row per learner (see :data:`HEADER`), the paired columns against ``reference``
    when it is among the learners (over the seeds both ran)."""
    ref = {r["seed"]: r["errors"] for r in by_learner.get(reference, [])}
    pairs = {}
    for name, records in by_learner.items():
        seeds = [r["seed"] for r in records if r["seed"] in ref]
        if name != reference and len(seeds) >= 2:
            mine = {r["seed"]: r["errors"] for r in records}
            # fewer errors is better: compare negated counts, so "wins" are the reference's
            pairs[name] = paired([-ref[s] for s in seeds], [-mine[s] for s in seeds])
    adjusted = dict(zip(pairs, holm([p.p_value for p in pairs.values()]), strict=True))
    rows = []
    for name, records in by_learner.items():
        errors = np.array([r["errors"] for r in records], dtype=float)
        ci = mean_ci(errors.tolist())
        row = [
            name,
            len(records),
            f"{errors.mean():.1f} ± {errors.std(ddof=1) if len(errors) > 1 else 0.0:.1f}",
            f"[{ci.low:.1f}, {ci.high:.1f}]" if len(errors) > 1 else "-",
            mean_ci([r["accuracy"] for r in records]).format(3),
            mean_ci([r["balanced_accuracy"] for r in records]).format(3),
        ]
        if name in pairs:
            pair, p_holm = pairs[name], adjusted[name]
            tie = " (tie)" if not p_holm < ALPHA else ""
            row += [
                f"{-pair.mean_diff:+.1f} ± {pair.ci.half_width:.1f}{tie}",
                f"{pair.p_value:.3g} ({p_holm:.3g})",
                f"{pair.wins}/{pair.n}",
            ]
        else:
            row += ["-", "-", "-"]
        speed = np.mean([r["n_instances"] / max(r["seconds"], 1e-9) for r in records])
        row += [f"{speed:,.0f}", f"{np.mean([r['seconds'] for r in records]):.2f}"]
        rows.append(row)
    return rows


def markdown(header: tuple[str, ...] | list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows])


def online_markdown(folder: str | Path, reference: str = REFERENCE) -> str:
    """Every data set's table under ``folder``, titled with its pattern, shuffles and floor."""
    parts = []
    for dataset, by_learner in sorted(read_online_runs(folder).items()):
        records = [r for rs in by_learner.values() for r in rs]
        n = max(len(rs) for rs in by_learner.values())
        patterns = sorted({pattern_label(r) for r in records})
        parts += [
            f"### {dataset}, {'; '.join(patterns)}, {n} shuffles "
            f"(majority-class floor: {majority_floor(records):.1f} errors of "
            f"{records[0]['n_instances']})",
            "",
            markdown(HEADER, online_rows(by_learner, reference)),
            "",
        ]
    return "\n".join(parts)


def write_online_report(folder: str | Path) -> list[Path]:
    """``online.csv`` (one row per run) and ``online.md`` (the tables) in ``folder``."""
    from alcl.results.files import atomic_write_text

    rows = []
    for by_learner in read_online_runs(folder).values():
        for records in by_learner.values():
            for r in records:
                rows.append(
                    {**r, "instances_per_second": r["n_instances"] / max(r["seconds"], 1e-9)}
                )
    folder = Path(folder)
    return [
        atomic_write_text(folder / ONLINE_CSV, csv_text(rows, RUN_COLUMNS)),
        atomic_write_text(folder / ONLINE_MD, online_markdown(folder)),
    ]
