"""The shape trace on screen: the learner's last input, op by op, shapes in and out.

Formats the plain entries the worker recorded (tutor.sandbox.shapetrace); the first step
that raised is marked ``✗`` with what it expects, e.g.
``(64, 128) → Linear(64→10) ✗ expects (*, 64)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from tutor.i18n import t

MAX_ROWS = 24  # a long trace keeps its end (where the error is)


def _shape(shape: Sequence[int] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _ins(entry: Mapping[str, Any]) -> str:
    shapes = [_shape(s) for s in entry.get("in") or ()]
    return ", ".join(shapes) if shapes else "-"


def has_error(data: Mapping[str, Any] | None) -> bool:
    return bool(data) and any(e.get("error") for e in data.get("entries") or ())  # type: ignore[union-attr]


def shape_trace(data: Mapping[str, Any], lang: str) -> RenderableType:
    """The trace as lines: ``x (64, 784)``, then ``(64, 784) → Linear(784→128) → (64, 128)``
    for each step, the failing one ``✗``."""
    entries = [e for e in data.get("entries") or () if isinstance(e, Mapping)]
    if not entries:
        return Text(t("shapes.empty", lang), style="dim")
    lines: list[RenderableType] = [Text(t("shapes.title", lang), style="bold")]
    skipped = max(0, len(entries) - MAX_ROWS)
    if skipped:
        lines.append(Text("  " + t("shapes.skipped", lang, count=skipped), style="dim"))
    start = data.get("start")
    first = entries[skipped]
    if start and first.get("in"):
        lines.append(Text(f"  {start} {_shape(first['in'][0])}", style="cyan"))
    width = max(len(str(e.get("op") or "")) for e in entries[skipped:])
    for entry in entries[skipped:]:
        op = str(entry.get("op") or "?").ljust(width)
        line = Text("  ")
        if entry.get("error"):
            line.append(f"{_ins(entry)} → ", style="")
            line.append(f"{op} ✗ ", style="bold red")
            if entry.get("expects"):
                line.append(t("shapes.expects", lang, shape=entry["expects"]), style="red")
            else:
                line.append(str(entry["error"]), style="red")
        else:
            line.append(f"{_ins(entry)} → {op} → {_shape(entry.get('out'))}")
        lines.append(line)
    return Group(*lines)


__all__ = ["has_error", "shape_trace"]
