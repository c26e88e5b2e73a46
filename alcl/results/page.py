"""Every figure fits its page, so it is saved at exactly its own size.

A figure is drawn at the width it will be printed at (one column, ``PRINT_WIDTH``, for most).
Constrained layout keeps axes, ticks and "outside" legends inside that page, but a title
or axis label longer than its axes, or a legend with too many columns, still runs past the
edge; a "tight" crop then saves a wider figure, which a one-column print shrinks below the
fonts it was drawn with. :func:`fit_to_page` wraps such texts at a space and rebuilds such
a legend (made by :func:`legend_below`) with fewer columns until the figure fits;
:func:`outside_page` says by how much it still does not.
"""

from __future__ import annotations

from typing import Any

SLACK_PX = 1.0
"""How far (pixels) a drawing may reach past the page's edge and still count as inside."""

_RECIPE = "_alcl_legend"  # on a legend from legend_below: how to draw it again


def legend_below(fig, handles: list, labels: list[str], ncols: int = 2, **style) -> Any:
    """A figure legend below the axes (constrained layout makes room for it), which
    :func:`fit_to_page` may redraw with fewer columns."""
    legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **style)
    setattr(legend, _RECIPE, (handles, labels, ncols, style))
    return legend


def _outside(extent: Any, width: float, height: float) -> bool:
    return (
        extent.x0 < -SLACK_PX
        or extent.y0 < -SLACK_PX
        or extent.x1 > width + SLACK_PX
        or extent.y1 > height + SLACK_PX
    )


def _labels(fig) -> list[Any]:
    """The texts a layout cannot shrink and a line break can: titles and axis labels."""
    texts = [t for t in (getattr(fig, "_suptitle", None), *fig.texts) if t is not None]
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    return [t for t in texts if t.get_visible() and t.get_text()]


def outside_page(fig) -> float:
    """Inches that ``fig``'s drawing reaches past its page's edges (0.0 when it fits), after
    its layout has run."""
    fig.draw_without_rendering()
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # in inches
    width, height = fig.get_size_inches()
    return float(max(0.0, -box.x0, -box.y0, box.x1 - width, box.y1 - height))


def _wrapped(text: str) -> str | None:
    """``text`` with its longest line broken at the space nearest its middle (None: no space)."""
    lines = text.split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    line = lines[longest]
    spaces = [i for i, c in enumerate(line) if c == " "]
    if not spaces:
        return None
    cut = min(spaces, key=lambda i: abs(i - len(line) / 2))
    lines[longest : longest + 1] = [line[:cut], line[cut + 1 :]]
    return "\n".join(lines)


def _narrowed(fig, legend) -> bool:
    recipe = getattr(legend, _RECIPE, None)
    if recipe is None or recipe[2] <= 1:
        return False
    handles, labels, ncols, style = recipe
    legend.remove()
    legend_below(fig, handles, labels, ncols - 1, **style)
    return True


def fit_to_page(fig, rounds: int = 4) -> float:
    """Wrap the titles and axis labels, and narrow the legends, that stick out of ``fig``'s
    page, until it fits (at most ``rounds`` layouts); return :func:`outside_page`."""
    for _ in range(rounds):
        if outside_page(fig) == 0.0:
            return 0.0
        renderer = fig.canvas.get_renderer()
        width, height = fig.bbox.width, fig.bbox.height
        changed = False
        for legend in list(fig.legends):
            if _outside(legend.get_window_extent(renderer), width, height):
                changed |= _narrowed(fig, legend)
        for text in _labels(fig):
            if _outside(text.get_window_extent(renderer), width, height):
                wrapped = _wrapped(text.get_text())
                if wrapped is not None:
                    text.set_text(wrapped)
                    changed = True
        if not changed:
            break
    return outside_page(fig)
