"""The results folder: its layout, atomic writes, and reading it back.

A run folder holds everything needed to re-plot and compare::

    config.yaml              the resolved configuration
    metrics/<strategy>__seed<k>.json   one file per strategy and seed
    summary.csv              one row per strategy and seed (derived from metrics/)
    figures/*.png, *.pdf     drawn from the files above by :mod:`alcl.plots`

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

CONFIG_FILE = "config.yaml"
METRICS_DIR = "metrics"
SUMMARY_FILE = "summary.csv"
FIGURES_DIR = "figures"

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
)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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


def load_runs(folder: str | Path) -> list[dict[str, Any]]:
    """Every per-strategy, per-seed record in ``folder``, in a stable order."""
    metrics_dir = Path(folder) / METRICS_DIR
    if not metrics_dir.is_dir():
        raise FileNotFoundError(
            f"{folder} has no {METRICS_DIR}/ folder; is it the output folder of `alcl run`?"
        )
    runs = [json.loads(p.read_text()) for p in sorted(metrics_dir.glob("*.json"))]
    return sorted(runs, key=lambda r: (r.get("order", 0), r["strategy"], r["seed"]))


def summary_rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        final = run["final"]
        row = {"strategy": run["strategy"], "seed": run["seed"]}
        for key in SUMMARY_COLUMNS[2:]:
            if key == "train_seconds":
                row[key] = sum(run["train_seconds"])
            elif key == "n_parameters":
                row[key] = run["n_parameters"]
            else:
                row[key] = final.get(key)
        rows.append(row)
    return rows


def write_summary(folder: str | Path) -> Path:
    """Rebuild ``summary.csv`` from the metrics files now in ``folder``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in summary_rows(load_runs(folder)):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return atomic_write_text(Path(folder) / SUMMARY_FILE, buffer.getvalue())


def aggregate(
    rows: list[dict[str, Any]], keys: tuple[str, ...] = SUMMARY_COLUMNS[2:]
) -> list[dict[str, Any]]:
    """Mean and (population) std over seeds, one row per strategy, in first-seen order."""
    by_strategy: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_strategy.setdefault(row["strategy"], []).append(row)
    out = []
    for name, group in by_strategy.items():
        agg: dict[str, Any] = {"strategy": name, "seeds": len(group)}
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
