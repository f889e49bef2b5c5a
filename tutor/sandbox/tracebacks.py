"""Format exceptions from learner code with learner frames only (worker side)."""

from __future__ import annotations

import traceback
import warnings
from typing import Any, TextIO


class SourceNames:
    """Map the unique file name each run is compiled under back to what the learner sees.

    Each run gets its own name (``<input-3>``) so linecache keeps every run's
    source and a traceback through a function defined three runs ago shows the
    right line; the learner only ever sees ``<input>``.
    """

    def __init__(self) -> None:
        self._shown: dict[str, str] = {}
        self._count = 0

    def new(self, filename: str) -> str:
        """Return a fresh internal name for code shown as ``filename``."""
        self._count += 1
        if filename.startswith("<") and filename.endswith(">"):
            internal = f"{filename[:-1]}-{self._count}>"
        else:
            internal = filename if filename not in self._shown else f"{filename}#{self._count}"
        self._shown[internal] = filename
        return internal

    def shown(self, internal: str) -> str | None:
        """Return the learner-facing name, or None for a file that is not learner code."""
        return self._shown.get(internal)


def format_error(exc: BaseException, names: SourceNames) -> dict[str, str]:
    """Return {type, message, traceback} for ``exc``, keeping learner frames only."""
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        shown = names.shown(frame.filename)
        if shown is None:
            continue
        line = frame.line  # read the source now, under the internal name
        frames.append(traceback.FrameSummary(shown, frame.lineno, frame.name, line=line))
    if isinstance(exc, SyntaxError) and exc.filename:
        exc.filename = names.shown(exc.filename) or exc.filename
    parts = []
    if frames:
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.StackSummary.from_list(frames).format())
    parts.extend(traceback.format_exception_only(type(exc), exc))
    return {
        "type": type(exc).__name__,
        "message": _clip(_message(exc)),
        "traceback": _clip("".join(parts)),
    }


_CLIP = 20_000


def _clip(text: str) -> str:
    # A learner exception may carry megabytes of text; the UI needs the gist.
    if len(text) <= _CLIP:
        return text
    half = _CLIP // 2
    return f"{text[:half]}\n... [{len(text) - _CLIP} characters cut] ...\n{text[-half:]}"


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return str(exc.msg or "")
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a learner exception whose __str__ fails
        return f"<{type(exc).__name__}>"


def make_showwarning(names: SourceNames, stream_getter: Any) -> Any:
    """Return a ``warnings.showwarning`` that prints learner file names."""
    original_format = warnings.formatwarning

    def showwarning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        import linecache

        shown = names.shown(filename)
        if shown is not None and line is None:
            line = linecache.getline(filename, lineno)
        text = original_format(message, category, shown or filename, lineno, line)
        try:
            (file or stream_getter()).write(text)
        except (OSError, ValueError, AttributeError):
            pass

    return showwarning
