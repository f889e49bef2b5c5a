"""The hostile-learner tests: a throwaway install of the tutor, and helpers that run it.

Every attack runs against a copy of the package laid out as a wheel installs it
(the lessons inside ``tutor/lessons``), so an attack that got through could only
damage the copy, never the checkout under test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Install:
    """A copy of the tutor package and a private home for its progress store."""

    site: Path  # holds tutor/ (and tutor/lessons/)
    home: Path  # TUTOR_HOME
    scratch: Path  # a folder the test owns, outside everything the tutor grants

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=str(self.site), TUTOR_HOME=str(self.home), NO_COLOR="1")
        env.pop("PYTHONWARNINGS", None)
        env.update(extra)
        return env


def _copy_package(site: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "tutor", site / "tutor", ignore=ignore)
    shutil.copytree(ROOT / "lessons", site / "tutor" / "lessons", ignore=ignore)


@pytest.fixture()
def install(tmp_path: Path) -> Install:
    site = tmp_path / "site"
    _copy_package(site)
    home = tmp_path / "home"
    home.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return Install(site, home, scratch)


def landlock_abi() -> tuple[int, str]:
    """The kernel's Landlock ABI and, when 0, why it is missing."""
    try:
        from tutor.sandbox import confine
    except ImportError:
        return 99, ""  # the code under test predates confinement: run every attack
    return confine.abi_version(), confine.missing_reason()


def needs_landlock(abi: int = 1) -> None:
    """Skip, saying why, where the kernel cannot confine the worker this far."""
    have, why = landlock_abi()
    if have == 0:
        pytest.skip(f"Landlock unavailable: {why}")
    if have < abi:
        pytest.skip(f"Landlock unavailable: ABI {have} < {abi} (no signal or socket scoping)")


@dataclass
class Ran:
    returncode: int | None
    stdout: str
    stderr: str
    frozen: bool = False

    def verdict(self) -> dict:
        import json

        start = self.stdout.find("{")
        return json.loads(self.stdout[start:]) if start >= 0 else {}


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return ""
    return stat[stat.rfind(b")") + 2 :][:1].decode()


def run_tutor(
    install: Install, args: list[str], *, stdin: str | None = None, timeout: float = 120
) -> Ran:
    """Run ``python -m tutor ARGS`` like a grader; a stopped (frozen) tutor counts as frozen."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(install.scratch),
        env=install.env(),
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    stopped_since: float | None = None
    frozen = False
    if stdin is not None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    import threading

    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for r in readers:
        r.start()
    while proc.poll() is None and time.monotonic() < deadline:
        if _state(proc.pid) == "T":
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > 3:
                frozen = True
                break
        else:
            stopped_since = None
        time.sleep(0.1)
    if proc.poll() is None:
        frozen = True
        with_group(proc.pid, signal.SIGCONT)
        with_group(proc.pid, signal.SIGKILL)
        proc.wait(10)
    for r in readers:
        r.join(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return Ran(proc.returncode, "".join(out), "".join(err), frozen)


def with_group(pid: int, sig: int) -> None:
    for send in (os.killpg, os.kill):
        try:
            send(pid, sig)
        except OSError:
            pass


def check(install: Install, lesson: str, step: str, code: str, name: str = "answer.py") -> Ran:
    """``python -m tutor check LESSON STEP FILE --json``, as a workshop autograder runs it."""
    answer = install.scratch / name
    answer.write_text(code, encoding="utf-8")
    return run_tutor(install, ["check", lesson, step, str(answer), "--json", "--lang", "en"])


def processes_with(marker: str) -> list[int]:
    """Pids whose command line holds ``marker`` (the attacks tag their children with it)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and _state(int(name)) not in ("Z", "X", ""):
            found.append(int(name))
    return found


@pytest.fixture()
def reaper() -> Iterator[list[str]]:
    """Markers of processes an attack may leave behind; whatever is left is killed afterwards."""
    markers: list[str] = []
    yield markers
    for marker in markers:
        for pid in processes_with(marker):
            with_group(pid, signal.SIGCONT)
            with_group(pid, signal.SIGKILL)
