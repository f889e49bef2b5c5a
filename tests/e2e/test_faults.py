"""Faults of the learner's machine while the tutor runs, in a real pseudo-terminal: the disk
fills up, the home is read-only, the progress file is deleted, emptied or overwritten from
outside. Each shows one line saying what is wrong and where, never a traceback, and every
answered step is in ``progress --json`` once the fault is cleared."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from fsfaults import fill, free, remount  # noqa: E402

from .pty import PROMPT, PYTHON, ROOT, env, leave, send, spawn  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]")
SAVED_AGAIN = "Progress is being saved to {path} again; nothing was lost."
BYE = "Bye! Your progress is saved."


def _squeeze(text: str) -> str:
    """The text without terminal codes or white space: wrapping cannot split what is compared."""
    return re.sub(r"\s+", "", ANSI.sub("", text))


class Tutor:
    """The tutor on the test lessons, everything it shows kept."""

    def __init__(self, progress: Path, tmp: Path, *extra: str) -> None:
        self.progress = progress
        tmp.mkdir(exist_ok=True)  # the tutor's temp folder, where a copy of unsaved work goes
        self.child = spawn(progress, *extra, environ=env(TMPDIR=str(tmp)))
        self.child.logfile_read = self.screen = io.StringIO()

    def shows(self, text: str) -> None:
        """Wait until ``text`` (white space aside) has been shown."""
        wanted = _squeeze(text)
        self.child.expect(_pattern(wanted))

    def answer(self, line: str, then: str) -> None:
        send(self.child, line)
        self.shows(then)
        self.child.expect_exact(PROMPT)

    def leave(self) -> str:
        leave(self.child)
        return self.screen.getvalue()


def _pattern(squeezed: str) -> str:
    """A regex matching ``squeezed`` with any white space or terminal codes between
    characters."""
    gap = r"(?:\s|\x1b\[[0-9;?]*[A-Za-z])*"
    return gap.join(re.escape(c) for c in squeezed)


def _statuses(progress: Path) -> dict[str, str]:
    done = subprocess.run(
        [PYTHON, "-m", "tutor", "--progress", str(progress), "progress", "--json"],
        cwd=str(ROOT),
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return {r["step"]: r["status"] for r in json.loads(done.stdout)["steps"]}


def _import(progress: Path, copy: str) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "tutor", "--progress", str(progress), "progress", "--import", copy],
        cwd=str(ROOT),
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def _no_traceback(screen: str) -> None:
    plain = ANSI.sub("", screen)
    assert "Traceback" not in plain and not re.search(r"\w+Error: ", plain), plain[-2000:]


@pytest.fixture()
def tutor(tmp_path: Path) -> Iterator[Tutor]:
    t = Tutor(
        tmp_path / "progress.sqlite3", tmp_path / "tmp", "--lesson", "e2e-basics", "--step", "2"
    )
    t.child.expect_exact(PROMPT)
    t.answer("x = torch.zeros(2, 3)", "Which function makes a tensor of ones")
    yield t
    if t.child.isalive():
        t.leave()


def _write_failed(path: Path, reason: str) -> str:
    return (
        f"Progress cannot be saved to {path}: {reason}. Your answers are kept in memory and "
        "saved as soon as that works again."
    )


# ---------------------------------------------------------------- a full disk


def _on_full_disk(tiny: Path) -> Tutor:
    t = Tutor(
        tiny / "progress.sqlite3", tiny.parent / "tmp", "--lesson", "e2e-basics", "--step", "2"
    )
    t.child.expect_exact(PROMPT)
    t.answer("x = torch.zeros(2, 3)", "Which function makes a tensor of ones")
    fill(tiny)
    send(t.child, "2")
    t.shows("Well done")
    t.shows("That is all")  # the lesson goes on
    t.shows(_write_failed(t.progress, "the disk is full"))  # said above the prompt
    t.child.expect_exact(PROMPT)
    return t


def test_full_disk_then_space_freed(tiny_fs: Path) -> None:
    t = _on_full_disk(tiny_fs)
    free(tiny_fs)
    t.answer("/explain", SAVED_AGAIN.format(path=t.progress))
    screen = t.leave()
    assert BYE in ANSI.sub("", screen)
    _no_traceback(screen)
    assert _squeeze(screen).count(_squeeze(_write_failed(t.progress, "the disk is full"))) == 1
    assert _statuses(t.progress) == {
        "zeros": "passed",
        "pick": "passed",
        "last": "seen",
    }


def test_full_disk_until_the_end_leaves_a_copy(tiny_fs: Path) -> None:
    t = _on_full_disk(tiny_fs)
    screen = t.leave()
    _no_traceback(screen)
    plain = ANSI.sub("", screen)
    assert BYE not in plain
    found = re.search(r"A copy is in (\S+\.json);", " ".join(plain.split()))
    assert found, plain[-1500:]
    copy = found.group(1)
    expected = (
        f"Not saved to {t.progress} (the disk is full): your work on e2e-basics.pick and "
        f"e2e-basics.last. A copy is in {copy}; once that is fixed, "
        f"python -m tutor progress --import {copy} adds it back."  # the tutor drops backticks
    )
    assert _squeeze(expected) in _squeeze(screen)
    assert _statuses(t.progress) == {"zeros": "passed", "pick": "seen"}  # read on a full disk
    free(tiny_fs)
    _import(t.progress, copy)
    assert _statuses(t.progress) == {"zeros": "passed", "pick": "passed", "last": "seen"}


# ---------------------------------------------------------------- a read-only home


def test_read_only_home(tiny_fs: Path) -> None:
    progress = tiny_fs / "progress.sqlite3"
    first = Tutor(progress, tiny_fs.parent / "tmp", "--lesson", "e2e-basics", "--step", "2")
    first.child.expect_exact(PROMPT)
    first.answer("x = torch.zeros(2, 3)", "Which function makes a tensor of ones")
    first.leave()
    remount(tiny_fs, read_only=True)
    try:
        t = Tutor(progress, tiny_fs.parent / "tmp")
        t.shows(_write_failed(progress, "the file system is read-only"))
        t.shows("Which function makes a tensor of ones")  # resumed where the learner left
        t.child.expect_exact(PROMPT)
        t.answer("2", "That is all")
        screen = t.leave()
        _no_traceback(screen)
        found = re.search(r"A copy is in (\S+\.json);", " ".join(ANSI.sub("", screen).split()))
        assert found, ANSI.sub("", screen)[-1500:]
        assert _statuses(progress) == {"zeros": "passed", "pick": "seen"}
    finally:
        remount(tiny_fs, read_only=False)
    _import(progress, found.group(1))
    assert _statuses(progress) == {"zeros": "passed", "pick": "passed", "last": "seen"}


# ---------------------------------------------------------------- the file changed from outside


VANISHED = (
    "The progress file {path} was deleted or emptied while the tutor ran; it has been "
    "written again from this session's copy."
)


def _finish(t: Tutor, message: str) -> None:
    send(t.child, "2")
    t.shows("Well done")
    t.shows("That is all")
    t.shows(message)
    t.child.expect_exact(PROMPT)
    screen = t.leave()
    assert BYE in ANSI.sub("", screen)
    _no_traceback(screen)
    assert _statuses(t.progress) == {"zeros": "passed", "pick": "passed", "last": "seen"}


def test_progress_file_deleted_mid_session(tutor: Tutor) -> None:
    tutor.progress.unlink()
    _finish(tutor, VANISHED.format(path=tutor.progress))


def test_progress_file_truncated_mid_session(tutor: Tutor) -> None:
    with tutor.progress.open("r+b") as f:
        f.truncate(0)
    _finish(tutor, VANISHED.format(path=tutor.progress))


def test_progress_file_corrupted_mid_session(tutor: Tutor) -> None:
    with tutor.progress.open("r+b") as f:
        f.write(b"this is no database" * 10)
    send(tutor.child, "2")
    tutor.shows("Well done")
    tutor.shows("That is all")
    tutor.shows("and written again from this session's copy.")
    plain = " ".join(ANSI.sub("", tutor.screen.getvalue()).split())
    found = re.search(
        rf"The progress file {re.escape(str(tutor.progress))} was damaged while the tutor ran; "
        r"it was moved to (\S+) and written again",
        plain,
    )
    assert found, plain[-1500:]
    moved = Path(found.group(1))
    # Kept for a look (closing the tutor's connection may have written its own pages into it).
    assert moved.is_file() and moved.name.startswith("progress.sqlite3.corrupt-")
    tutor.child.expect_exact(PROMPT)
    screen = tutor.leave()
    assert BYE in ANSI.sub("", screen)
    _no_traceback(screen)
    assert _statuses(tutor.progress) == {"zeros": "passed", "pick": "passed", "last": "seen"}
