"""Figures fit their page (alcl.results.page): long labels wrap, wide legends narrow."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from alcl.results import page, plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_all():
    yield
    plt.close("all")


def _figure(xlabel: str, labels: list[str], ncols: int):
    fig, ax = plt.subplots(figsize=(plots.PRINT_WIDTH, 2.5), layout="constrained")
    for i, label in enumerate(labels):
        ax.plot([0, 1], [i, i + 1], label=label)
    ax.set_xlabel(xlabel)
    handles, names = ax.get_legend_handles_labels()
    page.legend_below(fig, handles, names, ncols=ncols)
    return fig


def test_long_labels_wrap_and_wide_legends_narrow_until_the_figure_fits():
    long = "a label much longer than the axes it names, which no layout engine can shrink"
    fig = _figure(long, [f"strategy number {i} with its settings" for i in range(4)], 4)
    assert page.outside_page(fig) > 0.1  # it does stick out as drawn
    assert page.fit_to_page(fig) == 0.0
    assert "\n" in fig.axes[0].get_xlabel()
    assert fig.legends[0]._ncols < 4 and len(fig.legends) == 1
    width, height = fig.get_size_inches()
    assert (width, height) == (plots.PRINT_WIDTH, 2.5)  # the page itself never grows


def test_a_figure_that_cannot_fit_is_saved_cropped_with_a_warning(tmp_path):
    fig = _figure("x" * 120, ["one"], 1)  # no space to break at, one legend column
    assert page.fit_to_page(fig) > 0.0
    with pytest.warns(UserWarning, match="past its page"):
        paths = plots.save_figure(fig, tmp_path, "wide")
    assert {p.suffix for p in paths} == {".png", ".pdf"} and all(p.stat().st_size for p in paths)


def test_a_figure_that_fits_is_saved_at_its_page_size(tmp_path):
    fig = _figure("short", ["one", "two"], 2)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (png, _) = plots.save_figure(fig, tmp_path, "fits")
    from PIL import Image

    with Image.open(png) as image:
        assert image.width == round(plots.PRINT_WIDTH * plt.rcParams["savefig.dpi"])
