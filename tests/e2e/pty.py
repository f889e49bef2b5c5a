"""The tutor in a real pseudo-terminal, as the end-to-end tests start and stop it."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pexpect

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


def spawn(progress: Path, *extra: str, environ: dict[str, str] | None = None) -> pexpect.spawn:
    """``python -m tutor`` on the test lessons, in English, with its own progress file."""
    args = ["-m", "tutor", "--progress", str(progress), "--lang", "en", "--lessons", LESSONS]
    return pexpect.spawn(
        PYTHON,
        [*args, *extra],
        cwd=str(ROOT),
        env=environ or env(),
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def spawn_watch(folder: Path, *args: str) -> pexpect.spawn:
    """``python -m tutor watch ARGS`` on tests/watch_lessons, run in ``folder``, not saving."""
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
    )


def send(child: pexpect.spawn, line: str) -> None:
    child.send(line + "\r")


def leave(child: pexpect.spawn, keys: str = "\x04", timeout: float = 20) -> None:
    """Leave with ``keys`` (Ctrl-D unless told) and wait for the end; kill what will not end."""
    if child.isalive():
        child.send(keys)
        try:
            child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            child.kill(signal.SIGKILL)
    child.close()
