"""``/edit``: the learner's editor on a file holding the step's code; what they save is the answer.

``edit(text, name)`` writes ``text`` to a private temporary file, runs
``$VISUAL``/``$EDITOR`` (else nano, else vi) on it in the foreground, and returns
what the file holds when the editor exits.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.course.lesson import Lesson, Step

FALLBACKS = ("nano", "vi")


class EditorError(RuntimeError):
    """No editor could be found or started, or it failed."""


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run: $VISUAL, $EDITOR, then the first of nano and vi on PATH."""
    env = os.environ if environ is None else environ
    for key in ("VISUAL", "EDITOR"):
        if env.get(key, "").strip():
            return shlex.split(env[key])
    for name in FALLBACKS:
        found = shutil.which(name)
        if found:
            return [found]
    raise EditorError("no editor found: set $EDITOR")


def starter(lesson: Lesson, step: Step, lang: str) -> str:
    """The watch mode's starter file: the task as comments, the set-up it builds on."""
    from tutor.session.watch import starter_text

    return starter_text(lesson, step, lang)


def edit(text: str, name: str = "answer.py", environ: Mapping[str, str] | None = None) -> str:
    """Let the learner edit ``text`` in their editor; return the saved text."""
    command = editor_command(environ)
    with tempfile.TemporaryDirectory(prefix="torch-tutor-") as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise EditorError(f"{command[0]}: {exc.strerror or exc}") from exc
        if done.returncode != 0:
            raise EditorError(f"{command[0]} exited with status {done.returncode}")
        return path.read_text(encoding="utf-8")


def body(text: str) -> str:
    """``text`` without its leading comments and blank lines (the starter's copy of the task)."""
    lines = text.rstrip().split("\n")
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        lines.pop(0)
    return "\n".join(lines)


def has_code(text: str) -> bool:
    """Whether ``text`` holds anything besides comments and blank lines."""
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


__all__ = ["EditorError", "body", "edit", "editor_command", "has_code", "starter"]
