"""Real file-system faults for the tests: a tiny tmpfs that fills up, a read-only mount, an
immutable folder, a file-size limit.

Mounting needs root (or CAP_SYS_ADMIN); where the environment forbids it the fixtures skip
with the reason, and the tests that inject the same fault another way (``chattr +i`` or
``chmod``, ``RLIMIT_FSIZE``) still cover the code path.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

FILLER = "filler.bin"


def _run(*argv: str) -> str | None:
    """Run a command; None when it worked, else why it did not."""
    if shutil.which(argv[0]) is None:
        return f"`{argv[0]}` is not installed"
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode == 0:
        return None
    return f"`{' '.join(argv)}` failed: {(done.stderr or done.stdout).strip()}"


def mount_tmpfs(where: Path, size_kib: int) -> None:
    """Mount a tmpfs of ``size_kib`` KiB on ``where``; skip the test when that is not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    why = _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(where))
    if why is not None:
        pytest.skip(f"a real full disk needs a tmpfs mount (root or CAP_SYS_ADMIN): {why}")


def unmount(where: Path) -> None:
    # Lazy: a tutor still holding a file there must not make the clean-up fail.
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where: Path, *, read_only: bool) -> None:
    why = _run("mount", "-o", "remount," + ("ro" if read_only else "rw"), str(where))
    assert why is None, why


def fill(where: Path) -> Path:
    """Fill the file system holding ``where`` to the last byte; the filler file."""
    filler = where / FILLER
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (1 << 16, 4096, 512, 1):  # big blocks, then the last few bytes
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    return filler


def free(where: Path) -> None:
    (where / FILLER).unlink()


class Immutable:
    """A folder (and the files in it) made unwritable without a mount: ``chattr +i`` as root,
    where permission bits do not stop anyone, ``chmod a-w`` otherwise."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths = [folder, *sorted(p for p in folder.iterdir() if p.is_file())]
        self.root = os.geteuid() == 0

    def __enter__(self) -> Immutable:
        if self.root:
            for p in self.paths:
                why = _run("chattr", "+i", str(p))
                if why is not None:
                    self._undo()
                    pytest.skip(f"root ignores permission bits and chattr +i is refused: {why}")
        else:
            for p in self.paths:
                p.chmod(p.stat().st_mode & ~0o222)
        return self

    def _undo(self) -> None:
        for p in self.paths:
            if self.root:
                subprocess.run(["chattr", "-i", str(p)], capture_output=True)
            elif p.exists():
                p.chmod(p.stat().st_mode | 0o200)

    def __exit__(self, *exc: object) -> None:
        self._undo()


__all__ = ["FILLER", "Immutable", "fill", "free", "mount_tmpfs", "remount", "unmount"]
