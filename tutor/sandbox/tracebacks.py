"""Format exceptions from learner code as Python does, keeping learner frames only (worker side).

The whole chain is kept (``raise ... from e``, an exception raised while handling
another, exception groups), with the source line, Python 3.11's position markers
(``^^^``) and a SyntaxError's caret; only frames in files that are not the
learner's (torch, the standard library, the tutor) are left out.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import traceback
import warnings
from typing import Any, TextIO

from tutor.sandbox import _suggest


class SourceNames:
    """Which code is the learner's, and the name each file is shown under.

    Each run at the prompt gets its own name (``<input-3>``) so linecache keeps
    every run's source and a traceback through a function defined three runs ago
    shows the right line; the learner only ever sees ``<input>``. A script run
    adds its folder as a root: every file under it (the script, the modules it
    imports from its folder) is learner code and keeps its own path, except
    installed packages that happen to live there (a virtual environment in the
    project folder).
    """

    def __init__(self) -> None:
        self._shown: dict[str, str] = {}
        self._count = 0
        self._roots: tuple[str, ...] = ()
        self._library = _library_dirs()

    def new(self, filename: str) -> str:
        """Return a fresh internal name for code shown as ``filename``."""
        self._count += 1
        if filename.startswith("<") and filename.endswith(">"):
            internal = f"{filename[:-1]}-{self._count}>"
        else:
            internal = filename if filename not in self._shown else f"{filename}#{self._count}"
        self._shown[internal] = filename
        return internal

    def add_root(self, folder: str) -> None:
        """Count every file under ``folder`` as learner code, shown under its own path."""
        self._roots += (os.path.join(os.path.abspath(folder), ""),)

    def shown(self, internal: str) -> str | None:
        """Return the learner-facing name, or None for a file that is not learner code."""
        found = self._shown.get(internal)
        if found is not None:
            return found
        if internal.startswith(self._roots) and not internal.startswith(self._library):
            return internal
        return None


def _library_dirs() -> tuple[str, ...]:
    """Folders whose files are never learner code: the standard library, installed packages,
    the tutor itself."""
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    found.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(os.path.abspath(p), "") for p in sorted(found))


def format_error(exc: BaseException, names: SourceNames) -> dict[str, str]:
    """Return {type, message, traceback} for ``exc``: Python's own text, learner frames only."""
    try:
        report = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    except Exception:  # noqa: BLE001 - a learner exception that breaks even this: its name
        return {"type": type(exc).__name__, "message": _message(exc), "traceback": ""}
    _keep_learner_frames(report, exc, names, set())
    try:
        text = "".join(report.format())
    except Exception:  # noqa: BLE001 - e.g. a learner __str__ that raises while formatting
        text = "".join(traceback.format_exception_only(type(exc), None))
    return {
        "type": type(exc).__name__,
        "message": _clip(_message(exc)),
        "traceback": _clip(text),
    }


def _keep_learner_frames(
    report: Any, exc: BaseException | None, names: SourceNames, seen: set[int]
) -> None:
    """Drop non-learner frames from ``report`` (made from ``exc``) and every exception chained
    to it, in place; add the "Did you mean" Python's own printer adds."""
    if report is None or id(report) in seen:
        return
    seen.add(id(report))
    kept = []
    for frame in report.stack:
        shown = names.shown(frame.filename)
        if shown is None:
            continue
        frame.line  # noqa: B018 - read the source now, under the internal name
        frame.filename = shown
        kept.append(frame)
    report.stack = traceback.StackSummary.from_list(kept)
    exc_type = getattr(report, "exc_type", None)
    if exc_type is not None and issubclass(exc_type, SyntaxError):
        _show_syntax_error(report, names)
    if _suggest.NEEDED and exc is not None and hasattr(report, "_str"):
        found = _suggest.suggestion(exc)
        if found is not None:
            report._str += f". Did you mean: '{found}'?"
    _keep_learner_frames(report.__cause__, _chained(exc, "__cause__"), names, seen)
    _keep_learner_frames(report.__context__, _chained(exc, "__context__"), names, seen)
    subs = getattr(exc, "exceptions", None) or ()
    for index, sub in enumerate(getattr(report, "exceptions", None) or ()):
        _keep_learner_frames(sub, subs[index] if index < len(subs) else None, names, seen)


def _chained(exc: BaseException | None, attr: str) -> BaseException | None:
    return getattr(exc, attr, None) if exc is not None else None


def _show_syntax_error(report: Any, names: SourceNames) -> None:
    """A SyntaxError from the compiler (not the parser) carries no source line: add it, so the
    line and its caret show, then give the file its learner-facing name."""
    internal = report.filename
    if internal and report.text is None and str(report.lineno or "").isdigit():
        line = linecache.getline(internal, int(report.lineno))  # kept as text by traceback
        if line:
            report.text = line
    if internal:
        report.filename = names.shown(internal) or internal


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
        shown = names.shown(filename)
        if shown is not None and line is None:
            line = linecache.getline(filename, lineno)
        text = original_format(message, category, shown or filename, lineno, line)
        try:
            (file or stream_getter()).write(text)
        except (OSError, ValueError, AttributeError):
            pass

    return showwarning
