"""What the tutor draws after a run: the shape trace when a shape went wrong, and the loss
curve of a training input. Also ``/shapes`` and ``/plot NAME`` (tutor.session.commands).

The worker records and reads (tutor.sandbox.shapetrace, the ``series`` helper); this module
decides when a picture helps and renders it (tutor.render.shapes, tutor.render.plots).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tutor.i18n import t
from tutor.render import plots, shapes

if TYPE_CHECKING:
    from tutor.sandbox import RunResult, Sandbox

# Errors about shapes: a trace of the computation says where it went wrong.
SHAPE_ERROR = re.compile(
    r"shapes cannot be multiplied|size mismatch|must match the size|is invalid for input of size|"
    r"Expected input batch_size|expected input|does not match|mat1 and mat2|"
    r"Given groups|Expected \d+D|dimension|number of dimensions|"
    r"Expected size for first two dimensions|cannot be broadcast|not broadcastable",
    re.IGNORECASE,
)


def trains(code: str) -> bool:
    """An input that trains: a loop that calls ``backward()``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == "backward"
                ):
                    return True
    return False


def _call(sb: Sandbox, op: str, **kwargs: Any) -> Any:
    try:
        return sb.call(op, **kwargs)
    except Exception:  # noqa: BLE001 - a picture is a bonus: none rather than an error
        return None


def shapes_of(sb: Sandbox) -> dict[str, list[int]] | None:
    """The learner's tensors' shapes, so an error explanation can name the clashing ones."""
    rows = _call(sb, "vars")
    if rows is None:
        return None
    return {
        r["name"]: list(r["shape"])
        for r in rows or ()
        if isinstance(r, dict) and r.get("name") and isinstance(r.get("shape"), list)
    }


def after_run(
    sb: Sandbox, code: str, result: RunResult, lang: str, show: Callable[..., None], plain: bool
) -> None:
    """After the learner's input: its shape trace when a shape error stopped it, its loss
    curve when it trained."""
    error = result.error
    if result.outcome == "error" and error is not None and SHAPE_ERROR.search(error.message):
        data = _call(sb, "shapes")
        if isinstance(data, dict) and shapes.has_error(data):
            show(shapes.shape_trace(data, lang))
    elif result.outcome == "ok" and trains(code):
        found = _call(sb, "series")
        if isinstance(found, dict) and found.get("name") and found.get("values"):
            show(loss_curve(found["name"], found["values"], lang, plain))


def loss_curve(name: str, values: list[float], lang: str, plain: bool) -> Any:
    first, last = plots.thin(values)[1][0], values[-1]
    title = t(
        "plot.loss_title", lang, name=name, count=len(values), first=_num(first), last=_num(last)
    ).replace("`", "")
    return plots.plot(values, title, lang, plain=plain)


def _num(x: float) -> str:
    return f"{x:.4g}"


def show_shapes(
    sb: Sandbox | None, lang: str, say: Callable[..., None], show: Callable[..., None]
) -> None:
    """``/shapes``: the last input's trace, on demand."""
    data = _call(sb, "shapes") if sb is not None else None
    if not isinstance(data, dict):
        say("shapes.unavailable", "dim")
        return
    show(shapes.shape_trace(data, lang))


def show_plot(
    sb: Sandbox | None,
    name: str,
    lang: str,
    say: Callable[..., None],
    show: Callable[..., None],
    plain: bool,
) -> None:
    """``/plot NAME``: a list of numbers or a 1-D tensor as a terminal plot."""
    if not name:
        say("usage", "yellow", usage="/plot NAME")
        say("plot.usage_hint", "dim")
        return
    found = _call(sb, "series", name=name) if sb is not None else None
    if not isinstance(found, dict):
        return
    if found.get("error") in ("missing", "not_series"):
        say(f"plot.{found['error']}", "yellow", name=name)
        return
    show(plots.plot(found.get("values") or [], name, lang, plain=plain))


__all__ = ["after_run", "loss_curve", "show_plot", "show_shapes", "trains"]
