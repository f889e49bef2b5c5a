"""A matplotlib backend for learner code in the sandbox: ``plt.show()`` never waits for a window.

The zygote sets ``MPLBACKEND=module://tutor.sandbox.mplbackend``. Figures are drawn by Agg;
``show()`` saves each open figure as a PNG in the worker's folder, says where (the learner's
file stays there until the step's namespace is reset), and prints the figure's lines as a
terminal plot (plotext), so something is seen even over SSH or on a projector. It never
blocks and opens no window.
"""

from __future__ import annotations

import os
from typing import Any

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase

# Language-neutral: the worker does not follow /lang; a path and a picture read the same.
_SAVED = "[plt.show() -> {path}]"


def _as_text(figure: Any) -> str:
    import plotext

    lines = [line for ax in figure.axes for line in ax.get_lines()]
    if not lines:
        return ""
    fig = plotext.figure
    fig.clear()
    fig.theme("colorless")
    fig.plot_size(60, 14)
    for line in lines[:6]:
        xs, ys = line.get_xdata(), line.get_ydata()
        try:
            pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=False)]
        except (TypeError, ValueError):
            continue
        if len(pairs) >= 2:
            fig.draw(fig.signal([x for x, _ in pairs], [y for _, y in pairs], marker="braille"))
    title = figure.axes[0].get_title() if figure.axes else ""
    if title:
        fig.title(title)
    built = fig.build()
    text = built.string() if callable(getattr(built, "string", None)) else str(built)
    return str(plotext.uncolorize(text))


def show(*args: Any, **kwargs: Any) -> None:
    """Save every open figure, say where, draw it as text, and close it."""
    from matplotlib import pyplot

    for n in pyplot.get_fignums():
        figure = pyplot.figure(n)
        path = os.path.abspath(f"figure-{n}.png")
        try:
            figure.savefig(path)
        except OSError as exc:
            path = f"({type(exc).__name__}: {exc})"
        print(_SAVED.format(path=path))
        try:
            text = _as_text(figure)
        except Exception:  # noqa: BLE001 - the saved image is the result; text is a bonus
            text = ""
        if text:
            print(text)
        pyplot.close(figure)
