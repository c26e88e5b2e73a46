"""The figures of a results folder: a caption naming stream and seeds, text a paper can print,
equal curves kept visible, future matrix cells greyed, and mixed seeds said."""

from __future__ import annotations

import io
import struct

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from alcl.evaluation.record import ALRecord, RunRecord, StreamInfo  # noqa: E402
from alcl.results import plots  # noqa: E402
from alcl.results.files import CONFIG_FILE, run_path, write_json  # noqa: E402
from alcl.results.page import fit_to_page  # noqa: E402
from alcl.results.plots_cd import cd_figure  # noqa: E402

N_EXP = 3
DPI = 50
STREAM = StreamInfo("wine", "feature_incremental", N_EXP, [5, 4, 4], [["a"], ["b"], ["c"]], 3, "f")
plt = plots.pyplot()


def _al(seed: int) -> ALRecord:
    """An AL record with exits, compute and an adaptive report (shapes as alcl writes them)."""
    thresholds = 4
    return ALRecord(
        exit_accuracy=[[0.6 + 0.01 * d + 0.001 * seed for d in range(i + 1)] for i in range(N_EXP)],
        block_widths=[8] * N_EXP,
        block_columns=[5, 4, 4],
        compute={
            "flops_per_sample": {"shortcut": [100.0, 200.0, 300.0]},
            "latency": {"shortcut_seconds_per_batch": [1e-4, 2e-4, 3e-4], "batch_size": 8},
        },
        adaptive={
            "threshold": [0.5, 0.7, 0.7][seed % 3],
            "test": {
                "batch_size": 8,
                "accuracy": [0.6, 0.65, 0.7, 0.72][:thresholds],
                "mean_flops": [100.0, 150.0, 220.0, 300.0],
                "seconds_per_sample": [1e-5, 1.5e-5, 2e-5, 3e-5],
                "full_path": {"accuracy": 0.72, "mean_flops": 300.0, "seconds_per_sample": 3e-5},
            },
            "test_at_threshold": {
                "accuracy": 0.7,
                "mean_flops": 220.0,
                "seconds_per_sample": 2e-5,
                "exit_counts": [20, 15, 10],
            },
        },
    )


def _record(strategy: str, seed: int, order: int, level: float, **kw) -> RunRecord:
    """A finished run whose accuracies grow with the experiences (``level`` shifts them)."""
    trains_once = kw.pop("trains_once", False)
    n_rows = 1 if trains_once else N_EXP
    matrix = [
        [level + 0.1 * i + 0.02 * j + 0.003 * seed for j in range(N_EXP)] for i in range(n_rows)
    ]
    curve = [level + 0.1 * i + 0.003 * seed for i in range(N_EXP)]
    forgetting = [None] + [level * 0.1 * i + 0.002 * seed for i in range(1, N_EXP)]
    return RunRecord(
        trains_once=trains_once,
        accuracy_matrix=matrix,
        current_matrix=matrix,
        valid_accuracy_matrix=matrix,
        valid_current_matrix=matrix,
        curves={
            "avg_accuracy": curve,
            "current_accuracy": curve,
            "forgetting": forgetting,
            "max_forgetting": forgetting,
        },
        final={"avg_accuracy": curve[-1]},
        train_seconds=[0.1 * (order + 1) * (1 + 0.1 * seed)] * N_EXP,
        n_parameters=100,
        model_fingerprint="m",
        strategy=strategy,
        kind=strategy,
        seed=seed,
        order=order,
        stream=STREAM,
        **kw,
    )


def _folder(tmp_path, seeds: dict[str, int], grouping: str | None = "contiguous"):
    """A results folder: strategy -> number of seeds; naive and ewc curves are identical."""
    levels = {"al": 0.4, "naive": 0.5, "ewc": 0.5, "joint": 0.8}
    for order, (name, n) in enumerate(seeds.items()):
        for seed in range(n):
            extra = {"al": _al(seed)} if name == "al" else {}
            extra |= {"trains_once": True} if name == "joint" else {}
            # ewc's records are naive's: equal curves that must stay visible
            run = _record(name, seed, order, levels[name], **extra)
            write_json(run_path(tmp_path, name, seed), run.to_dict())
    if grouping is not None:
        (tmp_path / CONFIG_FILE).write_text(
            f"name: t\nstream:\n  dataset: wine\n  grouping: {grouping}\n  n_experiences: 3\n"
        )
    return tmp_path


def _figures(folder):
    """Every figure of ``folder`` as (name, Figure, saved width in inches); all closed after.
    Each must fit its page, so that it is saved at exactly its drawn size."""
    out = []
    for name, fig in plots.figures(folder, plt):
        assert fit_to_page(fig) == 0.0, name
        png = io.BytesIO()  # as save_figure saves it (at a lower dpi: the width is in inches)
        fig.savefig(png, format="png", dpi=DPI)
        width_px = struct.unpack(">I", png.getvalue()[16:20])[0]
        out.append((name, fig, width_px / DPI))
    return out


def _caption(fig) -> str:
    return fig.get_suptitle().replace("\n", " · ")  # captions wrap between their parts


def _texts(fig) -> list[Text]:
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.fixture
def close_all():
    yield
    plt.close("all")


ALL = {"al": 3, "naive": 3, "ewc": 3, "joint": 3}


def test_every_figure_is_drawn_and_saved(tmp_path, close_all):
    written = plots.draw_all(_folder(tmp_path, ALL))
    names = {p.name for p in written}
    for figure in ("accuracy", "forgetting", "al_exits", "adaptive", "exit_depths"):
        assert {f"{figure}.png", f"{figure}.pdf"} <= names
    assert {"accuracy_vs_time.png", "matrix_al.png", "matrix_joint.png"} <= names


def test_every_caption_names_stream_grouping_experiences_and_seeds(tmp_path, close_all):
    for name, fig, _ in _figures(_folder(tmp_path, ALL)):
        caption = _caption(fig)
        for part in ("wine", "feature_incremental, contiguous", "3 experiences", "3 seeds"):
            assert part in caption, (name, caption)
    one = plots.caption([_record("naive", 0, 0, 0.5)], "contiguous")
    assert one == "wine · feature_incremental, contiguous\n3 experiences · 1 seed"  # wrapped


def test_caption_without_a_config_names_what_the_records_hold(tmp_path, close_all):
    folder = _folder(tmp_path, {"naive": 2}, grouping=None)
    assert plots.read_grouping(folder) is None
    for _, fig, _ in _figures(folder):
        caption = _caption(fig)
        assert caption == "wine · feature_incremental · 3 experiences · mean ± 1 std of 2 seeds"


def test_one_seed_shows_no_spread(tmp_path, close_all):
    for name, fig, _ in _figures(_folder(tmp_path, dict.fromkeys(ALL, 1))):
        texts = [t.get_text() for t in _texts(fig)]
        assert not any("±" in t for t in texts), (name, texts)
        assert "1 seed" in fig.get_suptitle()
        for ax in fig.axes:
            assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)], name


@pytest.mark.parametrize("seeds", [ALL, dict.fromkeys(ALL, 1), {"al": 3, "naive": 1}])
def test_all_text_prints_at_8pt_or_more_in_one_column(tmp_path, close_all, seeds):
    for name, fig, width in _figures(_folder(tmp_path, seeds)):
        assert abs(width - plots.PRINT_WIDTH) < 0.02, (name, width)  # saved at its page
        scale = plots.PRINT_WIDTH / width  # the figure is printed one column wide
        for text in _texts(fig):
            printed = text.get_fontsize() * scale
            assert printed >= plots.MIN_FONT, (name, text.get_text(), printed)


def test_critical_difference_text_prints_at_8pt_or_more_across_two_columns(close_all):
    names = ["al", "bp-exits", "bp-matched", "snapshot-route", "naive", "ewc", "lwf", "replay"]
    title = "avg_accuracy: mean rank over 15 streams, Friedman p < 0.001"
    fig = cd_figure(plt, names, np.linspace(1.5, 7.5, len(names)), 3.1, title)
    scale = 2 * plots.PRINT_WIDTH / fig.get_size_inches()[0]
    assert min(t.get_fontsize() for t in _texts(fig)) * scale >= plots.MIN_FONT


def test_future_matrix_cells_are_greyed_and_empty(tmp_path, close_all):
    figures = {name: fig for name, fig, _ in _figures(_folder(tmp_path, ALL))}
    image = figures["matrix_naive"].axes[0].images[0]
    data = image.get_array()
    future = np.triu(np.ones((N_EXP, N_EXP), dtype=bool), k=1)
    assert np.array_equal(np.ma.getmaskarray(data), future)
    assert image.get_cmap().get_bad() == pytest.approx(matplotlib.colors.to_rgba(plots.FUTURE_GREY))
    cells = {t.get_position() for t in figures["matrix_naive"].axes[0].texts}
    assert cells == {(j, i) for i in range(N_EXP) for j in range(N_EXP) if j <= i}
    offline = figures["matrix_joint"].axes[0].images[0].get_array()
    assert not np.ma.getmaskarray(offline).any()  # trained once on everything: no future


def test_identical_curves_stay_visible(tmp_path, close_all):
    figures = {name: fig for name, fig, _ in _figures(_folder(tmp_path, ALL))}
    for name in ("accuracy", "forgetting"):
        ax = figures[name].axes[0]
        lines = {line.get_label(): line for line in ax.get_lines()}
        naive, ewc = lines["naive"], lines["ewc (= naive)"]
        assert np.allclose(naive.get_ydata(), ewc.get_ydata())
        assert (naive.get_marker(), naive.get_color()) != (ewc.get_marker(), ewc.get_color())
        assert not np.allclose(naive.get_xdata(), ewc.get_xdata())  # shifted sideways
    legend = [t.get_text() for t in figures["accuracy"].legends[0].get_texts()]
    assert "ewc (= naive)" in legend and "joint (offline)" in legend


def test_a_figure_of_mixed_seeds_says_so(tmp_path, close_all):
    figures = {name: fig for name, fig, _ in _figures(_folder(tmp_path, {"al": 3, "naive": 1}))}
    caption = _caption(figures["accuracy"])
    assert "1–3 seeds by strategy" in caption and "mean ± 1 std where > 1" in caption
    legend = [t.get_text() for t in figures["accuracy"].legends[0].get_texts()]
    assert legend == ["al (3 seeds)", "naive (1 seed)"]
    time_legend = [t.get_text() for t in figures["accuracy_vs_time"].legends[0].get_texts()]
    assert time_legend == ["al (3 seeds)", "naive (1 seed)"]
    assert "mean of 3 seeds" in figures["adaptive"].get_suptitle()  # means only, no spread
    assert "mean ± 1 std of 3 seeds" in figures["matrix_al"].get_suptitle()
    assert figures["matrix_naive"].get_suptitle().endswith("1 seed")


def test_seeds_that_chose_different_thresholds_are_named(tmp_path, close_all):
    figures = {name: fig for name, fig, _ in _figures(_folder(tmp_path, ALL))}
    legend = [t.get_text() for t in figures["exit_depths"].legends[0].get_texts()]
    assert legend == ["al (threshold 0.5–0.7 by seed)"]


def test_time_axis_has_readable_ticks(tmp_path, close_all):
    figures = {name: fig for name, fig, _ in _figures(_folder(tmp_path, ALL))}
    ax = figures["accuracy_vs_time"].axes[0]
    low, high = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    assert len(ticks) >= 4
    assert len(plots._log_ticks(0.06, 0.25)) >= 4  # within a decade: more than 1-2-5
