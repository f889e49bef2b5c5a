"""Fixtures for the whole suite: ``tutor_cli`` runs ``python -m tutor`` in a child process.

The pseudo-terminal helpers of the end-to-end tests are tests/e2e/pty.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fsfaults import mount_tmpfs, unmount

ROOT = Path(__file__).resolve().parents[1]

# A suite started as a background job of a script (no job control) inherits SIGINT ignored,
# and every child it starts would too: a Ctrl-C sent to a tutor in a pseudo-terminal would
# then be lost. The suite gives its children the SIGINT a terminal's program has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture()
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs to fill up or make read-only (skipped where mounting is not allowed)."""
    where = tmp_path / "tiny"
    mount_tmpfs(where, 1024)
    try:
        yield where
    finally:
        unmount(where)


class TutorCLI:
    """``tutor_cli("check", LESSON, STEP, FILE)``: the tutor as a learner or an author runs it.

    Runs in the checkout (``cwd`` and ``PYTHONPATH``), captures stdout and stderr as
    text, and never raises on a non-zero exit unless ``check=True``.
    """

    root = ROOT

    def env(self, *, keep_locale: bool = True, **extra: str) -> dict[str, str]:
        """This process's environment with the checkout importable; without the locale (so the
        tutor speaks its default language) when ``keep_locale`` is false."""
        found = {
            k: v
            for k, v in os.environ.items()
            if keep_locale or not (k.startswith("LC_") or k == "LANG")
        }
        return {**found, "PYTHONPATH": str(ROOT), **extra}

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | str = ROOT,
        timeout: float = 300,
        merge_stderr: bool = False,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tutor", *args],
            input=input,
            cwd=str(cwd),
            env=dict(env) if env is not None else self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=check,
        )


@pytest.fixture(scope="session")
def tutor_cli() -> TutorCLI:
    return TutorCLI()
