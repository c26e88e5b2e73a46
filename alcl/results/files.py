"""The results folder: its layout, atomic writes, and reading it back.

A run folder holds everything needed to re-plot and compare::

    config.yaml              the resolved configuration
    metrics/<strategy>__seed<k>.json   one file per strategy and seed
    summary.csv              one row per strategy and seed (derived from metrics/)
    aggregate.csv, .md       mean ± 95 % CI over seeds per strategy, paired tests against AL
                             (derived too; :mod:`alcl.results.tables`)
    figures/*.png, *.pdf     drawn from the files above by :mod:`alcl.results.plots`

A metrics file is a :class:`alcl.evaluation.record.RunRecord` (``to_dict``); :func:`load_runs`
reads them back as such.

Every file is written to a temporary name and renamed into place, so a
killed run never leaves a truncated JSON or CSV behind.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from alcl.evaluation.record import RunRecord
from alcl.results.tables import (
    AGGREGATE_COLUMNS,
    SUMMARY_COLUMNS,
    aggregate,
    aggregate_markdown,
    csv_text,
    summary_rows,
)

CONFIG_FILE = "config.yaml"
METRICS_DIR = "metrics"
SUMMARY_FILE = "summary.csv"
AGGREGATE_CSV = "aggregate.csv"
AGGREGATE_MD = "aggregate.md"
FIGURES_DIR = "figures"
TMP_SUFFIX = ".tmp"


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


class ResultsError(ValueError):
    """A results folder holds a file alcl cannot read; the message names it and the fix."""


CORRUPT_SUFFIX = ".corrupt"


def read_run(path: str | Path) -> RunRecord:
    """The record in metrics file ``path``; :class:`ResultsError` naming the file when it is
    empty, cut short, not UTF-8 JSON, or not a run record."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not a mapping")
        return RunRecord.from_dict(data)
    except json.JSONDecodeError as err:
        why = (
            "empty" if not path.stat().st_size else f"not valid JSON ({err.msg} at byte {err.pos})"
        )
    except UnicodeDecodeError as err:
        why = f"not UTF-8 (byte {err.start})"
    except (TypeError, ValueError, KeyError) as err:
        why = f"not a run record ({err})"
    raise ResultsError(
        f"metrics file {path} is {why}; run `alcl run` on this folder again "
        f"(`alcl run --resume --out {path.parent.parent}`) to redo that run."
    )


def finished_run(path: str | Path) -> bool:
    """Whether metrics file ``path`` holds a finished run. A file that cannot be read (a full
    disk, a copy cut short) is never a finished run: it is renamed to ``<name>.corrupt``,
    with a message naming it, so that the run is done again."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        read_run(path)
    except ResultsError as err:
        moved = path.with_name(path.name + CORRUPT_SUFFIX)
        os.replace(path, moved)
        print(f"alcl: {str(err).split(';')[0]}; moved to {moved.name}, redoing that run.")
        return False
    return True


def load_runs(folder: str | Path) -> list[RunRecord]:
    """Every per-strategy, per-seed record in ``folder``, in a stable order."""
    metrics_dir = Path(folder) / METRICS_DIR
    if not metrics_dir.is_dir():
        raise FileNotFoundError(
            f"{folder} has no {METRICS_DIR}/ folder; is it the output folder of `alcl run`?"
        )
    runs = [read_run(p) for p in sorted(metrics_dir.glob("*.json"))]
    return sorted(runs, key=lambda r: (r.order, r.strategy, r.seed))


def check_same_samples(runs: list[RunRecord]) -> None:
    """Fail if two runs of the same seed met different samples (by stream fingerprint)."""
    seen: dict[int, dict[str, list[str]]] = {}
    for run in runs:
        if run.stream is not None:
            seen.setdefault(run.seed, {}).setdefault(run.stream.fingerprint, []).append(
                run.strategy
            )
    for seed, prints in seen.items():
        if len(prints) > 1:
            raise ValueError(
                f"runs of seed {seed} met different samples: {sorted(prints.values())}; "
                "every strategy of a seed must run on the same stream."
            )


def write_summary(folder: str | Path) -> Path:
    """Rebuild ``summary.csv`` and the aggregate tables from the metrics files in ``folder``."""
    runs = load_runs(folder)
    check_same_samples(runs)
    rows = summary_rows(runs)
    path = atomic_write_text(Path(folder) / SUMMARY_FILE, csv_text(rows, SUMMARY_COLUMNS))
    write_aggregate(folder, rows)
    return path


def write_aggregate(folder: str | Path, rows: list[dict[str, Any]] | None = None) -> list[Path]:
    """Write ``aggregate.csv`` and ``aggregate.md`` (mean ± 95 % CI over seeds per strategy)."""
    folder = Path(folder)
    agg = aggregate(summary_rows(load_runs(folder)) if rows is None else rows)
    return [
        atomic_write_text(folder / AGGREGATE_CSV, csv_text(agg, AGGREGATE_COLUMNS)),
        atomic_write_text(folder / AGGREGATE_MD, aggregate_markdown(agg)),
    ]
