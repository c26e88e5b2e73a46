"""The scoreboard of a suite, drawn from its results folders alone (one per stream).

Per stream and metric: every strategy's mean with a 95 % t confidence interval over seeds,
its paired difference to the reference strategy (AL) with a Wilcoxon signed-rank p-value,
Holm-corrected across the stream's comparisons, and the number of seeds where AL is higher.
The best mean is bold; ``≈`` marks a difference to AL that is not significant after Holm
(a tie). A stream whose per-experience test sets hold under 100 samples is flagged: one
sample there moves an accuracy by more than a point.

Across streams: each strategy's mean rank (1 = best), a Friedman test and the Nemenyi
critical difference, drawn as a critical-difference diagram (Demšar, JMLR 2006); and AL's
wins, ties and losses against each strategy, a win or a loss being a significant paired
difference after Holm on that stream.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from alcl.evaluation.record import RunRecord
from alcl.results import stats
from alcl.results.files import atomic_write_text, load_runs, write_json
from alcl.results.tables import display_name

SCOREBOARD_MD = "scoreboard.md"
SCOREBOARD_JSON = "scoreboard.json"
CD_FIGURE = "critical_difference"
METRICS = ("avg_accuracy", "current_accuracy")
"""The metrics ranked (higher is better): as released, and with the current features."""
ALPHA = 0.05
SMALL_TEST_SET = 100


@dataclass
class Row:
    """One strategy on one stream for one metric."""

    strategy: str
    ci: stats.MeanCI
    paired: stats.Paired | None = None  # against the reference; None for the reference
    p_holm: float = math.nan
    n_parameters: float = math.nan
    stored_samples: float = math.nan
    max_forgetting: stats.MeanCI | None = None
    current_max_forgetting: stats.MeanCI | None = None
    task_oracle: bool = False

    @property
    def tie(self) -> bool:
        return self.paired is not None and not self.p_holm < ALPHA


@dataclass
class StreamBoard:
    name: str
    metric: str
    rows: list[Row]
    small_test_sets: list[int] = field(default_factory=list)
    n_seeds: int = 0


def _values(runs: list[RunRecord], key: str) -> dict[int, float]:
    out = {}
    for run in runs:
        value = run.final.get(key)
        out[run.seed] = math.nan if value is None else float(value)
    return out


def _mean_or_nan(values: list[int | None]) -> float:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else math.nan


def stream_board(
    name: str, runs: list[RunRecord], metric: str, reference: str = "al"
) -> StreamBoard:
    """The table of one stream for ``metric``: CI per strategy, paired tests against AL."""
    by_strategy: dict[str, list[RunRecord]] = {}
    for run in runs:
        by_strategy.setdefault(run.strategy, []).append(run)
    ref = _values(by_strategy.get(reference, []), metric)
    rows = []
    for strategy, group in by_strategy.items():
        values = _values(group, metric)
        row = Row(
            strategy,
            stats.mean_ci(list(values.values())),
            n_parameters=float(np.mean([r.n_parameters for r in group])),
            stored_samples=_mean_or_nan([r.stored_samples for r in group]),
            max_forgetting=stats.mean_ci([r.final.get("max_forgetting") for r in group]),
            current_max_forgetting=stats.mean_ci(
                [r.final.get("current_max_forgetting") for r in group]
            ),
            task_oracle=group[0].task_oracle,
        )
        seeds = sorted(set(values) & set(ref))
        if strategy != reference and ref and seeds:
            row.paired = stats.paired([ref[s] for s in seeds], [values[s] for s in seeds])
        rows.append(row)
    compared = [r for r in rows if r.paired is not None]
    for row, p in zip(compared, stats.holm([r.paired.p_value for r in compared]), strict=True):
        row.p_holm = p
    sizes = runs[0].stream.test_sizes if runs and runs[0].stream else None
    small = stats.small_test_sets(sizes or [], SMALL_TEST_SET)
    return StreamBoard(name, metric, rows, small, max(len(g) for g in by_strategy.values()))


def _p(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _p_is(value: float) -> str:
    """``= 0.053`` or ``< 0.001``, for a sentence."""
    text = _p(value)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"


def stream_markdown(board: StreamBoard, reference: str = "al") -> str:
    best = max((r.ci.mean for r in board.rows if not math.isnan(r.ci.mean)), default=math.nan)
    head = [
        "strategy",
        "n",
        f"{board.metric} (mean ± 95% CI)",
        f"{reference} − strategy",
        "p (Wilcoxon)",
        "p (Holm)",
        f"{reference} higher",
        "max forgetting",
        "current max forgetting",
        "parameters",
        "stored samples",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in board.rows:
        score = row.ci.format()
        if row.ci.mean == best:
            score = f"**{score}**"
        if row.tie:
            score += " ≈"
        paired = row.paired
        lines.append(
            "| "
            + " | ".join(
                [
                    display_name(row.strategy, row.task_oracle),
                    str(row.ci.n),
                    score,
                    "-" if paired is None else paired.ci.format(),
                    "-" if paired is None else _p(paired.p_value),
                    _p(row.p_holm),
                    "-" if paired is None else f"{paired.wins}/{paired.n}",
                    row.max_forgetting.format() if row.max_forgetting else "-",
                    row.current_max_forgetting.format() if row.current_max_forgetting else "-",
                    f"{row.n_parameters:,.0f}",
                    "-" if math.isnan(row.stored_samples) else f"{row.stored_samples:,.0f}",
                ]
            )
            + " |"
        )
    text = "\n".join(lines) + "\n"
    if board.small_test_sets:
        text += (
            f"\n> Warning: the test sets of experiences {[i + 1 for i in board.small_test_sets]} "
            f"hold fewer than {SMALL_TEST_SET} samples; one sample moves their accuracy by more "
            "than a point.\n"
        )
    return text


@dataclass
class AcrossStreams:
    metric: str
    streams: list[str]
    strategies: list[str]
    scores: list[list[float]]  # streams x strategies: mean over seeds
    mean_ranks: list[float]
    friedman: stats.Friedman
    cd: float
    record: dict[str, dict[str, int]]  # strategy -> {"wins", "ties", "losses"} of the reference


def across_streams(boards: list[StreamBoard], reference: str = "al") -> AcrossStreams | None:
    """Mean ranks, Friedman test, critical difference and AL's record, over the strategies
    that ran on every stream."""
    if not boards:
        return None
    common = [r.strategy for r in boards[0].rows]
    for board in boards[1:]:
        names = {r.strategy for r in board.rows}
        common = [s for s in common if s in names]
    scores = [[next(r for r in b.rows if r.strategy == s).ci.mean for s in common] for b in boards]
    matrix = np.array(scores, dtype=float)
    ranks = stats.mean_ranks(matrix) if len(common) else np.array([])
    record: dict[str, dict[str, int]] = {}
    for strategy in common:
        if strategy == reference:
            continue
        tally = {"wins": 0, "ties": 0, "losses": 0}
        for board in boards:
            row = next(r for r in board.rows if r.strategy == strategy)
            if row.paired is None or row.tie:
                tally["ties"] += 1
            elif row.paired.mean_diff > 0:
                tally["wins"] += 1
            else:
                tally["losses"] += 1
        record[strategy] = tally
    return AcrossStreams(
        boards[0].metric,
        [b.name for b in boards],
        common,
        scores,
        [float(r) for r in ranks],
        stats.friedman(matrix),
        stats.nemenyi_cd(len(common), len(boards), ALPHA) if len(common) >= 2 else math.nan,
        record,
    )


def across_markdown(summary: AcrossStreams, reference: str = "al") -> str:
    order = np.argsort(summary.mean_ranks)
    lines = [
        f"Mean rank over {len(summary.streams)} streams (1 = best) on {summary.metric}; "
        f"Friedman χ² = {summary.friedman.statistic:.2f}, p {_p_is(summary.friedman.p_value)}"
        + (f" ({summary.friedman.note})" if summary.friedman.note else "")
        + f"; Nemenyi critical difference {summary.cd:.2f} (α = {ALPHA}).",
        "",
        f"| strategy | mean rank | {reference}: wins / ties / losses (Holm, α = {ALPHA}) |",
        "|---|---|---|",
    ]
    for i in order:
        name = summary.strategies[i]
        tally = summary.record.get(name)
        cell = "-" if tally is None else f"{tally['wins']} / {tally['ties']} / {tally['losses']}"
        lines.append(f"| {name} | {summary.mean_ranks[i]:.2f} | {cell} |")
    return "\n".join(lines) + "\n"


def write_scoreboard(
    root: str | Path,
    streams: list[str],
    skipped: dict[str, str] | None = None,
    metrics: tuple[str, ...] = METRICS,
    reference: str = "al",
) -> list[Path]:
    """Write ``scoreboard.md``, ``scoreboard.json`` and one critical-difference figure per
    metric into ``root``, from the results folders ``root/<stream>``."""
    root = Path(root)
    runs = {name: load_runs(root / name) for name in streams}
    runs = {name: r for name, r in runs.items() if r}
    parts, data, written = [f"# Scoreboard: {root.name}\n"], {}, []
    for name, why in (skipped or {}).items():
        parts.append(f"- stream {name} skipped: {why}")
    for metric in metrics:
        boards = [stream_board(name, r, metric, reference) for name, r in runs.items()]
        summary = across_streams(boards, reference)
        parts.append(f"\n## {metric}\n")
        if summary is not None:
            parts.append(across_markdown(summary, reference))
            written += _cd_figure(root, summary)
        for board in boards:
            parts.append(f"\n### {board.name} ({board.n_seeds} seeds)\n")
            parts.append(stream_markdown(board, reference))
        data[metric] = {
            "across": None if summary is None else asdict(summary),
            "streams": [asdict(b) for b in boards],
        }
    written.append(atomic_write_text(root / SCOREBOARD_MD, "\n".join(parts) + "\n"))
    written.append(write_json(root / SCOREBOARD_JSON, {"skipped": skipped or {}, **data}))
    return written


def _cd_figure(root: Path, summary: AcrossStreams) -> list[Path]:
    if len(summary.strategies) < 2:
        return []
    from alcl.results.plots import pyplot, save_figure
    from alcl.results.plots_cd import cd_figure

    plt = pyplot()
    title = (
        f"{summary.metric}: mean rank over {len(summary.streams)} streams, "
        f"Friedman p {_p_is(summary.friedman.p_value)}"
    )
    fig = cd_figure(plt, summary.strategies, summary.mean_ranks, summary.cd, title)
    paths = save_figure(fig, root, f"{CD_FIGURE}_{summary.metric}")
    plt.close(fig)
    return paths
