"""The words on a figure, read from its runs: the caption line (dataset, stream kind and
grouping, experiences, seeds) and each legend entry. Plots (:mod:`alcl.results.plots`) put
them on the figures; this module draws nothing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from alcl.evaluation.record import RunRecord
from alcl.results.files import CONFIG_FILE
from alcl.results.tables import display_name

CAPTION_CHARS = 52
"""Characters of a caption line at the figures' font size across one printed column."""


def read_grouping(folder: str | Path) -> str | None:
    """``stream.grouping`` of the folder's ``config.yaml``; None without one (or a key)."""
    import yaml

    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        return None
    stream = config.get("stream") if isinstance(config, dict) else None
    grouping = stream.get("grouping") if isinstance(stream, dict) else None
    return str(grouping) if grouping else None


def _stream_parts(runs: list[RunRecord], grouping: str | None) -> list[str]:
    """The dataset, and the stream kind with its grouping (feature-incremental streams only)."""
    infos = [r.stream for r in runs if r.stream is not None]
    if not infos:
        return ["stream not recorded"]
    dataset = " / ".join(sorted({i.dataset for i in infos}))
    kind = " / ".join(sorted({i.kind for i in infos}))
    return [
        dataset,
        f"{kind}, {grouping}" if grouping and kind in ("feature_incremental", "mixed") else kind,
    ]


def seed_counts(runs: list[RunRecord]) -> dict[str, int]:
    """The number of seeds of every strategy in ``runs``."""
    counts: dict[str, set[int]] = defaultdict(set)
    for run in runs:
        counts[run.strategy].add(run.seed)
    return {name: len(seeds) for name, seeds in counts.items()}


def mixed_seeds(runs: list[RunRecord]) -> bool:
    """Whether the strategies in ``runs`` ran different numbers of seeds."""
    return len(set(seed_counts(runs).values())) > 1


def _seeds_text(counts: list[int], spread: bool) -> list[str]:
    """The caption's parts on seeds: how many, and what the figure draws of them."""
    low, high = min(counts), max(counts)
    if high == 1:
        return ["1 seed"]
    what = "mean ± 1 std" if spread else "mean"
    if low == high:
        return [f"{what} of {high} seeds"]
    where = " where > 1" if spread and low == 1 else ""
    return [f"{low}–{high} seeds by strategy (in legend)", f"{what}{where}"]


def _wrap(parts: list[str], width: int) -> str:
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def caption(
    runs: list[RunRecord],
    grouping: str | None = None,
    spread: bool = True,
    n_experiences: int | None = None,
) -> str:
    """The first line(s) of every figure of ``runs``: stream, experiences and seeds.

    E.g. ``wine · feature_incremental, contiguous · 3 experiences · mean ± 1 std of 10
    seeds``, wrapped to fit :data:`alcl.results.plots.PRINT_WIDTH`. ``spread``: the figure shows a ±1 std
    (else its numbers are means only); with one seed it says ``1 seed``, and when the
    strategies ran different numbers of seeds it says so (the legend gives each one's).
    """
    n_exp = n_experiences or max(r.n_experiences for r in runs)
    seeds = _seeds_text(list(seed_counts(runs).values()), spread)
    experiences = f"{n_exp} experience{'s' if n_exp != 1 else ''}"
    parts = [*_stream_parts(runs, grouping), experiences, *seeds]
    return _wrap(parts, CAPTION_CHARS)


def legend_label(name: str, runs: list[RunRecord], mixed: bool) -> str:
    """A legend entry: the strategy (oracle marked), offline or not, and its seeds when the
    strategies ran different numbers of them."""
    n = len({r.seed for r in runs})
    notes = ["offline"] if runs[0].trains_once else []
    notes += [f"{n} seed{'s' if n != 1 else ''}"] if mixed else []
    return display_name(name, runs[0].task_oracle) + (f" ({', '.join(notes)})" if notes else "")
