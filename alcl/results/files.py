"""The results folder: its layout, atomic writes, and reading it back.

A run folder holds everything needed to re-plot and compare::

    config.yaml              the resolved configuration
    metrics/<strategy>__seed<k>.json   one file per strategy and seed
    summary.csv              one row per strategy and seed (derived from metrics/)
    aggregate.csv, .md       mean ± std over seeds, one row per strategy (derived too)
    figures/*.png, *.pdf     drawn from the files above by :mod:`alcl.results.plots`

A metrics file is a :class:`alcl.evaluation.record.RunRecord` (``to_dict``); :func:`load_runs`
reads them back as such.

Every file is written to a temporary name and renamed into place, so a
killed run never leaves a truncated JSON or CSV behind.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from alcl.evaluation.record import RunRecord

CONFIG_FILE = "config.yaml"
METRICS_DIR = "metrics"
SUMMARY_FILE = "summary.csv"
AGGREGATE_CSV = "aggregate.csv"
AGGREGATE_MD = "aggregate.md"
FIGURES_DIR = "figures"
ORACLE_MARK = " (task-label oracle)"
TMP_SUFFIX = ".tmp"

SUMMARY_COLUMNS = (
    "strategy",
    "seed",
    "avg_accuracy",
    "forgetting",
    "bwt",
    "current_accuracy",
    "train_seconds",
    "valid_avg_accuracy",
    "valid_current_accuracy",
    "n_parameters",
    "max_forgetting",
    "absent",
    "task_oracle",
)
DESCRIPTORS = ("absent", "task_oracle")
"""Summary columns that describe a run rather than measure it (not averaged)."""
METRIC_COLUMNS = tuple(c for c in SUMMARY_COLUMNS[2:] if c not in DESCRIPTORS)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename.

    The temporary file is named ``.<name>.<random>.tmp`` beside ``path`` and is
    fsynced before the rename, so ``path`` always holds a whole file: the old
    one or the new one. A process killed mid-write leaves at most such a
    temporary file, which :func:`remove_stale_temporaries` clears.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files that writers killed mid-write left under ``folder``.

    Only names made by :func:`atomic_write_bytes` (``.<name>.<random>.tmp``)
    are touched. Call it only while no other process writes to ``folder``.
    """
    stale = [p for p in Path(folder).rglob(f".*{TMP_SUFFIX}") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _plain(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null, tuples and arrays become lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | Path, data: Any) -> Path:
    return atomic_write_text(path, json.dumps(_plain(data), indent=2, allow_nan=False) + "\n")


def run_path(folder: str | Path, strategy: str, seed: int) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", strategy)
    return Path(folder) / METRICS_DIR / f"{safe}__seed{seed}.json"


def load_runs(folder: str | Path) -> list[RunRecord]:
    """Every per-strategy, per-seed record in ``folder``, in a stable order."""
    metrics_dir = Path(folder) / METRICS_DIR
    if not metrics_dir.is_dir():
        raise FileNotFoundError(
            f"{folder} has no {METRICS_DIR}/ folder; is it the output folder of `alcl run`?"
        )
    runs = [RunRecord.from_dict(json.loads(p.read_text())) for p in sorted(metrics_dir.glob("*.json"))]
    return sorted(runs, key=lambda r: (r.order, r.strategy, r.seed))


def summary_rows(runs: list[RunRecord]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        row: dict[str, Any] = {"strategy": run.strategy, "seed": run.seed}
        for key in METRIC_COLUMNS:
            if key == "train_seconds":
                row[key] = sum(run.train_seconds)
            elif key == "n_parameters":
                row[key] = run.n_parameters
            else:
                row[key] = run.final.get(key)
        row["absent"] = run.absent
        row["task_oracle"] = run.task_oracle
        rows.append(row)
    return rows


def check_same_samples(runs: list[RunRecord]) -> None:
    """Fail if two runs of the same seed met different samples (by stream fingerprint)."""
    seen: dict[int, dict[str, list[str]]] = {}
    for run in runs:
        if run.stream is not None:
            seen.setdefault(run.seed, {}).setdefault(run.stream.fingerprint, []).append(run.strategy)
    for seed, prints in seen.items():
        if len(prints) > 1:
            raise ValueError(
                f"runs of seed {seed} met different samples: {sorted(prints.values())}; "
                "every strategy of a seed must run on the same stream."
            )


def csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in columns})
    return buffer.getvalue()


def write_summary(folder: str | Path) -> Path:
    """Rebuild ``summary.csv`` and the aggregate tables from the metrics files in ``folder``."""
    runs = load_runs(folder)
    check_same_samples(runs)
    rows = summary_rows(runs)
    path = atomic_write_text(Path(folder) / SUMMARY_FILE, csv_text(rows, SUMMARY_COLUMNS))
    write_aggregate(folder, rows)
    return path


def display_name(strategy: str, task_oracle: bool) -> str:
    """A strategy's name for tables and legends, marked when it used the task-label oracle."""
    return strategy + ORACLE_MARK if task_oracle else strategy


def aggregate(
    rows: list[dict[str, Any]], keys: tuple[str, ...] = METRIC_COLUMNS
) -> list[dict[str, Any]]:
    """Mean and (population) std over seeds, one row per strategy, in first-seen order.

    The descriptors (``absent``, ``task_oracle``) are carried over from the rows.
    """
    by_strategy: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_strategy.setdefault(row["strategy"], []).append(row)
    out = []
    for name, group in by_strategy.items():
        agg: dict[str, Any] = {"strategy": name, "seeds": len(group)}
        for key in DESCRIPTORS:
            agg[key] = group[0].get(key)
        for key in keys:
            values = [float(r[key]) for r in group if r.get(key) not in (None, "")]
            values = [v for v in values if not math.isnan(v)]
            agg[key] = sum(values) / len(values) if values else None
            agg[f"{key}_std"] = (
                math.sqrt(sum((v - agg[key]) ** 2 for v in values) / len(values))
                if values
                else None
            )
        out.append(agg)
    return out


AGGREGATE_COLUMNS = ("strategy", "seeds", *DESCRIPTORS) + tuple(
    name for key in METRIC_COLUMNS for name in (key, f"{key}_std")
)
TABLE_METRICS = (
    "avg_accuracy",
    "forgetting",
    "max_forgetting",
    "bwt",
    "current_accuracy",
    "train_seconds",
    "n_parameters",
)
"""The metrics of the Markdown aggregate table, in order."""


def mean_std(row: dict[str, Any], key: str) -> str:
    """``mean ± std`` of an aggregate row's ``key``, or ``-`` when undefined."""
    mean, std = row.get(key), row.get(f"{key}_std")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    if key == "n_parameters":
        return f"{mean:,.0f}" + (f" ± {std:,.0f}" if std else "")
    digits = 1 if key == "train_seconds" else 4
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def aggregate_markdown(
    agg: list[dict[str, Any]],
    metrics: tuple[str, ...] = TABLE_METRICS,
    lead: tuple[str, ...] = (),
) -> str:
    """A Markdown table of mean ± std per strategy; oracle strategies are marked.

    ``lead`` names columns shown first (a sweep's ``variant``).
    """
    head = [*lead, "strategy", "seeds", "absent", *metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in agg:
        name = display_name(row["strategy"], _truthy(row.get("task_oracle")))
        cells = [str(row.get(key, "")) for key in lead]
        cells += [name, str(row["seeds"]), str(row.get("absent") or "-")]
        cells += [mean_std(row, key) for key in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def write_aggregate(folder: str | Path, rows: list[dict[str, Any]] | None = None) -> list[Path]:
    """Write ``aggregate.csv`` and ``aggregate.md`` (mean ± std over seeds per strategy)."""
    folder = Path(folder)
    agg = aggregate(summary_rows(load_runs(folder)) if rows is None else rows)
    return [
        atomic_write_text(folder / AGGREGATE_CSV, csv_text(agg, AGGREGATE_COLUMNS)),
        atomic_write_text(folder / AGGREGATE_MD, aggregate_markdown(agg)),
    ]


def format_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """A plain-text table for the terminal."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        if isinstance(value, float):
            return f"{value:.4f}"
        return str(value)

    body = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [
        max(len(c), *(len(r[i]) for r in body)) if body else len(c) for i, c in enumerate(columns)
    ]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)
