"""The tables alcl prints and writes, from run records: one row per run (``summary.csv``), and
one row per strategy over seeds (``aggregate.csv``, ``aggregate.md``).

Every aggregate gives, per metric, the number of seeds, the mean, the sample standard deviation
(ddof 1) and the half width of a 95 % t confidence interval (:mod:`alcl.results.stats`). Next to
each strategy the headline metrics also get the paired difference to AL over the seeds both
ran, a Wilcoxon signed-rank p-value and the number of seeds where AL is higher. With a few
seeds a difference is often within noise: the p-value says so.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from alcl.evaluation.record import RunRecord
from alcl.results import stats

ORACLE_MARK = " (task-label oracle)"
REFERENCE = "al"
"""The strategy every other one is compared with, paired over seeds."""
PAIRED_METRICS = ("avg_accuracy", "current_accuracy")
"""The metrics whose paired difference to the reference is reported."""

SUMMARY_COLUMNS = (
    "strategy",
    "seed",
    "avg_accuracy",
    "max_forgetting",
    "forgetting",
    "current_accuracy",
    "current_max_forgetting",
    "train_seconds",
    "bwt",
    "current_forgetting",
    "current_bwt",
    "valid_avg_accuracy",
    "valid_current_accuracy",
    "n_parameters",
    "stored_samples",
    "absent",
    "task_oracle",
)
DESCRIPTORS = ("absent", "task_oracle")
"""Summary columns that describe a run rather than measure it (not averaged)."""
METRIC_COLUMNS = tuple(c for c in SUMMARY_COLUMNS[2:] if c not in DESCRIPTORS)


def summary_rows(runs: list[RunRecord]) -> list[dict[str, Any]]:
    """One row per run: its final metrics, parameter count and how it saw absent columns."""
    rows = []
    for run in runs:
        row: dict[str, Any] = {"strategy": run.strategy, "seed": run.seed}
        for key in METRIC_COLUMNS:
            if key == "train_seconds":
                row[key] = sum(run.train_seconds)
            elif key in ("n_parameters", "stored_samples"):
                value = getattr(run, key)
                row[key] = math.nan if value is None else value
            else:
                row[key] = run.final.get(key)
        row["absent"] = run.absent
        row["task_oracle"] = run.task_oracle
        rows.append(row)
    return rows


def csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in columns})
    return buffer.getvalue()


def display_name(strategy: str, task_oracle: bool) -> str:
    """A strategy's name for tables and legends, marked when it used the task-label oracle."""
    return strategy + ORACLE_MARK if task_oracle else strategy


def _finite(values: list[Any]) -> list[float]:
    out = [float(v) for v in values if v not in (None, "")]
    return [v for v in out if not math.isnan(v)]


def aggregate(
    rows: list[dict[str, Any]], keys: tuple[str, ...] = METRIC_COLUMNS, reference: str = REFERENCE
) -> list[dict[str, Any]]:
    """Per strategy, in first-seen order: n, mean, std (ddof 1) and 95 % CI half width of every
    metric over seeds, and for :data:`PAIRED_METRICS` the paired comparison with ``reference``.

    The descriptors (``absent``, ``task_oracle``) are carried over from the rows.
    """
    by_strategy: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_strategy.setdefault(row["strategy"], []).append(row)
    ref = {r["seed"]: r for r in by_strategy.get(reference, [])}
    out = []
    for name, group in by_strategy.items():
        agg: dict[str, Any] = {"strategy": name, "seeds": len(group)}
        for key in DESCRIPTORS:
            agg[key] = group[0].get(key)
        for key in keys:
            ci = stats.mean_ci(_finite([r.get(key) for r in group]))
            agg[key] = None if ci.n == 0 else ci.mean
            agg[f"{key}_std"] = None if ci.n < 2 else ci.std
            agg[f"{key}_ci"] = None if ci.n < 2 else ci.half_width
        for key in PAIRED_METRICS:
            pairs = [
                (float(ref[r["seed"]][key]), float(r[key]))
                for r in group
                if r["seed"] in ref and _finite([r.get(key), ref[r["seed"]].get(key)])[1:]
            ]
            if name == reference or not pairs:
                continue
            paired = stats.paired([a for a, _ in pairs], [b for _, b in pairs])
            agg[f"{key}_vs_{reference}"] = paired.mean_diff
            agg[f"{key}_vs_{reference}_p"] = paired.p_value
            agg[f"{key}_{reference}_higher"] = f"{paired.wins}/{paired.n}"
        out.append(agg)
    return out


AGGREGATE_COLUMNS = (
    ("strategy", "seeds", *DESCRIPTORS)
    + tuple(name for key in METRIC_COLUMNS for name in (key, f"{key}_std", f"{key}_ci"))
    + tuple(
        name
        for key in PAIRED_METRICS
        for name in (
            f"{key}_vs_{REFERENCE}",
            f"{key}_vs_{REFERENCE}_p",
            f"{key}_{REFERENCE}_higher",
        )
    )
)
TABLE_METRICS = (
    "avg_accuracy",
    "max_forgetting",
    "forgetting",
    "current_accuracy",
    "current_max_forgetting",
    "train_seconds",
    "n_parameters",
    "stored_samples",
)
"""The metrics of the Markdown aggregate table, in order."""


def mean_ci_cell(row: dict[str, Any], key: str) -> str:
    """``mean ± 95 % CI half width`` of an aggregate row's ``key``, or ``-`` when undefined."""
    mean, half = row.get(key), row.get(f"{key}_ci")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    if key in ("n_parameters", "stored_samples"):
        return f"{mean:,.0f}" + (f" ± {half:,.0f}" if half else "")
    digits = 1 if key == "train_seconds" else 4
    return f"{mean:.{digits}f}" + ("" if half is None else f" ± {half:.{digits}f}")


def paired_cell(row: dict[str, Any], key: str, reference: str = REFERENCE) -> str:
    """``+0.0123 (p 0.002, 9/10)``: the reference minus this strategy, Wilcoxon p, seeds where
    the reference is higher; ``-`` for the reference itself."""
    diff = row.get(f"{key}_vs_{reference}")
    if diff is None:
        return "-"
    p = row.get(f"{key}_vs_{reference}_p")
    p_text = "-" if p is None or math.isnan(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")
    return f"{diff:+.4f} (p {p_text}, {row.get(f'{key}_{reference}_higher')})"


def aggregate_markdown(
    agg: list[dict[str, Any]],
    metrics: tuple[str, ...] = TABLE_METRICS,
    lead: tuple[str, ...] = (),
    reference: str = REFERENCE,
) -> str:
    """A Markdown table of mean ± 95 % CI per strategy, with the paired comparison to the
    reference next to the headline metrics; oracle strategies are marked.

    ``lead`` names columns shown first (a sweep's ``variant``).
    """
    head = [*lead, "strategy", "seeds", "absent"]
    for key in metrics:
        head.append(key)
        if key in PAIRED_METRICS:
            head.append(f"{reference} − strategy (p, {reference} higher)")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in agg:
        name = display_name(row["strategy"], _truthy(row.get("task_oracle")))
        cells = [str(row.get(key, "")) for key in lead]
        cells += [name, str(row["seeds"]), str(row.get("absent") or "-")]
        for key in metrics:
            cells.append(mean_ci_cell(row, key))
            if key in PAIRED_METRICS:
                cells.append(paired_cell(row, key, reference))
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        "\nMean ± half width of a 95 % t confidence interval over seeds (sample std). "
        f"{reference} − strategy: paired over seeds, Wilcoxon signed-rank p-value (exact for "
        "small n), and the number of seeds where it is higher.\n"
    )
    return "\n".join(lines) + "\n" + note


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


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
