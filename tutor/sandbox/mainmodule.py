"""The learner's ``__main__``: set up as ``python -i`` or ``python FILE`` sets it up (worker side).

Learner code runs in a real module installed as ``sys.modules["__main__"]``, so
whatever Python looks up there finds the learner's names: ``pickle`` and
``torch.save`` of a class defined by the learner, ``multiprocessing`` sending a
learner function to a child. For a script the module also carries ``__file__``
and a ``SourceFileLoader``, and ``sys.argv``, ``sys.path[0]``, the standard
streams, warning filters and the way the run ends (threads joined, ``atexit``
handlers) are Python's own. Imports neither rich nor prompt_toolkit.
"""

from __future__ import annotations

import atexit
import builtins
import codecs
import importlib.machinery
import io
import os
import sys
import threading
import tokenize
import types
import warnings
from typing import Any

# What a fresh interpreter has, captured in the zygote once torch is imported
# (a script that imports torch gets torch's own filters too).
_STARTUP_FILTERS = list(warnings.filters)
_STARTUP_SHOWWARNING = warnings.showwarning


def prompt_module(names: dict[str, Any]) -> types.ModuleType:
    """A fresh ``__main__`` as the ``python -i`` prompt has it, holding ``names`` too."""
    module = _main_module(importlib.machinery.BuiltinImporter)
    module.__dict__.update(names)
    _install(module, argv=[""], path0="")
    return module


def script_module(path: str, argv: list[str]) -> types.ModuleType:
    """A fresh ``__main__`` for the script at ``path`` (absolute), with ``sys.argv = argv``."""
    module = _main_module(importlib.machinery.SourceFileLoader("__main__", path))
    module.__file__ = path
    module.__dict__["__cached__"] = None
    # As Python does: the script's folder, symbolic links resolved, leads the import path.
    _install(module, argv=list(argv), path0=os.path.dirname(os.path.realpath(path)))
    return module


def _main_module(loader: Any) -> types.ModuleType:
    module = types.ModuleType("__main__")  # __name__, __doc__ (None), __package__, __spec__
    module.__loader__ = loader
    module.__annotations__ = {}
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    return module


def _install(module: types.ModuleType, argv: list[str], path0: str) -> None:
    sys.modules["__main__"] = module
    sys.argv = argv
    if sys.path:
        sys.path[0] = path0
    else:
        sys.path.append(path0)


def compile_file(path: str) -> types.CodeType:
    """Compile the script at ``path`` as ``python FILE`` does.

    The bytes go to ``compile`` so a PEP 263 coding line is honoured;
    ``dont_inherit`` keeps this module's ``from __future__`` imports out of the
    learner's code. A file that is not UTF-8 and declares no encoding gets
    Python's own message.
    """
    with open(path, "rb") as fh:
        source = fh.read()
    problem = undeclared_encoding(source, path)
    if problem is not None:
        raise problem
    return compile(source, path, "exec", dont_inherit=True)


def undeclared_encoding(source: bytes, path: str) -> SyntaxError | None:
    """The SyntaxError ``python FILE`` reports for bytes that are not UTF-8 when the file
    declares no encoding (PEP 263), or None."""
    if source.startswith(codecs.BOM_UTF8) or _declares_encoding(source):
        return None
    for number, line in enumerate(source.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return SyntaxError(
                f"Non-UTF-8 code starting with '\\x{line[exc.start]:02x}' in file {path} on "
                f"line {number}, but no encoding declared; "
                "see https://peps.python.org/pep-0263/ for details"
            )
    return None


def _declares_encoding(source: bytes) -> bool:
    """Whether a coding line (PEP 263) is on line 1, or on line 2 below a blank or comment line."""
    for index, line in enumerate(source.split(b"\n", 2)[:2]):
        if tokenize.cookie_re.match(line.decode("latin-1")):
            return True
        if index == 0 and not tokenize.blank_re.match(line):
            return False
    return False


def attach_streams(stderr_fd: int, stdin_fd: int) -> None:
    """Make ``stderr_fd`` the process's fd 2 and ``stdin_fd`` its fd 0 (both passed by the UI;
    the caller closes them), with ``sys.stderr`` and ``sys.stdin`` over them as Python opens
    them."""
    os.dup2(stderr_fd, 2)
    os.dup2(stdin_fd, 0)
    stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdin = stdin
    err = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
        write_through=True,
    )
    sys.stderr = err


def python_warnings() -> None:
    """Warning filters and display as a fresh ``python FILE`` has them (the prompt shows all)."""
    warnings.filters[:] = _STARTUP_FILTERS  # type: ignore[index]
    warnings._filters_mutated()  # type: ignore[attr-defined]
    warnings.showwarning = _STARTUP_SHOWWARNING


def finish() -> None:
    """What Python does after the script's last line: join non-daemon threads, then run the
    ``atexit`` handlers."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()


def exit_status(code: Any) -> int:
    """The process exit status for ``SystemExit(code)``; a message is printed to stderr as
    Python prints it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        print(code, file=sys.stderr)
    except Exception:  # noqa: BLE001 - a learner object whose __str__ fails
        pass
    return 1
