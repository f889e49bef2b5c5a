"""Terminal plots: a loss history or any 1-D series, drawn with plotext.

plotext (a maintained terminal-plotting library) draws the axes, ticks and braille points;
this module only picks the size and the scale and turns its output into a rich ``Text``.
With ``plain`` (transcripts, --plain, NO_COLOR) the plot is plain characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

from tutor.i18n import t

MAX_POINTS = 2000  # a longer series is thinned to this many points, keeping the last


def thin(values: Sequence[float]) -> tuple[list[float], list[float]]:
    """(x, y) with at most MAX_POINTS points, x counted from 1 as plotext would."""
    n = len(values)
    step = max(1, math.ceil(n / MAX_POINTS))
    xs = list(range(1, n + 1, step))
    if xs and xs[-1] != n:
        xs.append(n)
    return [float(x) for x in xs], [float(values[x - 1]) for x in xs]


def plot(
    values: Sequence[float],
    title: str,
    lang: str,
    *,
    width: int = 60,
    height: int = 14,
    xlabel: str | None = None,
    plain: bool = False,
) -> Text:
    """``values`` as a terminal plot titled ``title`` (points that are inf or nan are left
    out); a note instead of a plot when fewer than two finite points are left."""
    import plotext

    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return Text(t("plot.nothing", lang, name=title), style="dim")
    xs, ys = thin(values)
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
    fig = plotext.figure
    fig.clear()
    fig.theme("colorless" if plain else "clear")
    fig.plot_size(width, height)
    fig.draw(fig.signal([x for x, _ in pairs], [y for _, y in pairs], marker="braille"))
    fig.title(title)
    fig.label(xlabel or t("plot.x", lang), axis="x")
    built = fig.build()
    text = built.string() if callable(getattr(built, "string", None)) else str(built)
    text = plotext.uncolorize(text) if plain else text
    return Text.from_ansi(text) if not plain else Text(text)


__all__ = ["MAX_POINTS", "plot", "thin"]
