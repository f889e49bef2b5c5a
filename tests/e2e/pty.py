"""The tutor in a real pseudo-terminal, as the end-to-end tests start and stop it."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pyte

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
LESSONS = str(ROOT / "tests" / "e2e" / "lessons")
PROMPT = ">>>"  # prompt_toolkit draws the space after it as a cursor move
TIMEOUT = 60


def env(**extra: str) -> dict[str, str]:
    """The environment of a learner's terminal: no colour, no cursor-position queries."""
    found = dict(
        os.environ,
        TERM="xterm-256color",
        NO_COLOR="1",
        PYTHONPATH=str(ROOT),
        PROMPT_TOOLKIT_NO_CPR="1",
        **extra,
    )
    found.pop("TUTOR_HOME", None)
    return found


def spawn(
    progress: Path,
    *extra: str,
    environ: dict[str, str] | None = None,
    columns: int = 120,
    dimensions: tuple[int, int] | None = None,
) -> pexpect.spawn:
    """``python -m tutor`` on the test lessons, in English, with its own progress file, in a
    terminal ``columns`` wide (or of ``dimensions``: rows, columns)."""
    args = ["-m", "tutor", "--progress", str(progress), "--lang", "en", "--lessons", LESSONS]
    return pexpect.spawn(
        PYTHON,
        [*args, *extra],
        cwd=str(ROOT),
        env=environ or env(),
        dimensions=dimensions or (40, columns),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def spawn_watch(
    folder: Path, *args: str, preexec_fn: Callable[[], Any] | None = None
) -> pexpect.spawn:
    """``python -m tutor watch ARGS`` on tests/watch_lessons, run in ``folder``, not saving
    (``preexec_fn`` runs in the child before the tutor starts)."""
    lessons = str(ROOT / "tests" / "watch_lessons")
    argv = ["-m", "tutor", "--no-save", "--lang", "en", "--lessons", lessons, "watch", *args]
    return pexpect.spawn(
        sys.executable,
        argv,
        cwd=str(folder),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb", "PYTHONPATH": str(ROOT)},
        preexec_fn=preexec_fn,
    )


class Screen:
    """What the learner's terminal shows: everything the tutor writes, fed to a terminal
    emulator (pyte) as it is read.

    Tests look at the rendered lines, so they hold however the output was chunked and
    however many times prompt_toolkit redrew the prompt (a loaded machine redraws more).
    It is the child's ``logfile_read``; ``frames`` counts the prompt's renders.
    """

    def __init__(self, child: pexpect.spawn, columns: int = 120, lines: int = 40) -> None:
        self.columns = columns
        self.screen = pyte.HistoryScreen(columns, lines, history=100_000)
        self.stream = pyte.Stream(self.screen)
        self.child = child
        self.on_frame: list[list[str]] = []  # the screen after each render ending in "show cursor"
        self.watch_frames = False
        child.logfile_read = self

    def write(self, data: str) -> None:
        if not self.watch_frames:
            self.stream.feed(data)
            return
        # prompt_toolkit ends each render by showing the cursor again.
        parts = data.split(_SHOW_CURSOR)
        for i, part in enumerate(parts):
            self.stream.feed(part + (_SHOW_CURSOR if i < len(parts) - 1 else ""))
            if i < len(parts) - 1:
                self.on_frame.append(self.lines())

    def flush(self) -> None:
        pass

    def lines(self) -> list[str]:
        """Every line shown so far, scrolled-off ones first, trailing spaces dropped."""

        def text(row: Any) -> str:
            return "".join(row[x].data for x in range(self.columns)).rstrip()

        return [text(row) for row in self.screen.history.top] + [
            line.rstrip() for line in self.screen.display
        ]

    def wait_for(self, shown: Callable[[list[str]], bool], timeout: float = TIMEOUT) -> None:
        """Read the tutor's output until ``shown(lines)`` holds."""
        end = time.monotonic() + timeout
        while not shown(self.lines()):
            if time.monotonic() > end:
                raise AssertionError(
                    "never shown; the screen ends:\n" + "\n".join(self.lines()[-15:])
                )
            try:
                self.child.read_nonblocking(4096, timeout=0.1)
            except pexpect.TIMEOUT:
                pass


_SHOW_CURSOR = "\x1b[?25h"


def send(child: pexpect.spawn, line: str) -> None:
    child.send(line + "\r")


def leave(child: pexpect.spawn, keys: str = "\x04", timeout: float = TIMEOUT) -> None:
    """Leave with ``keys`` (Ctrl-D unless told) and wait for the end; kill what will not end."""
    if child.isalive():
        child.send(keys)
        try:
            child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            child.kill(signal.SIGKILL)
    child.close()
