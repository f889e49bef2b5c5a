"""Issue 19, "Seen": an instructor's workshop of 30 learners, in a real pseudo-terminal.

One test (or more) per item: a wrong start command, passes made with /solution,
the class view, batch grading, the broadcast-fix message on an unrelated error,
the handout, the projector at 70 columns, and the workshop route.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, PYTHON, ROOT, env, leave, send, spawn  # noqa: E402


def _quit(child: pexpect.spawn) -> None:
    leave(child, "/quit\r", timeout=30)


def _stored(progress: Path) -> tuple[list, list]:
    """The position and the step rows of a progress file, as they stand."""
    db = sqlite3.connect(progress)
    try:
        position = db.execute("SELECT lesson, step FROM position").fetchall()
        steps = db.execute("SELECT * FROM steps ORDER BY lesson, step").fetchall()
    finally:
        db.close()
    return position, steps


def _ended(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


# 1 -------------------------------------------------------------------------------------------


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    """A progress file whose learner got to step 3 of the test lesson."""
    progress = tmp_path / "progress.sqlite3"
    child = spawn(progress, "--lesson", "e2e-basics", "--step", "pick")
    try:
        child.expect("step 3/4")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    assert _stored(progress)[0] == [("e2e-basics", "pick")]
    return progress


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--lesson", "nosuch"], ["Unknown lesson `nosuch`"]),
        (["--lesson", "tensros"], ["Unknown lesson `tensros`", "Did you mean `tensors`"]),
        (["--lesson", "e2e-basics", "--step", "99"], ["has no step `99`", "intro, zeros"]),
        (["--step", "nosuch"], ["has no step `nosuch`"]),
        (["--lesson", "e2e-basics", "--step", "zeroes"], ["Did you mean `zeros`"]),
    ],
    ids=["unknown", "typo", "step-number", "step-alone", "step-typo"],
)
def test_1_a_wrong_start_command_is_refused_and_progress_untouched(
    saved: Path, args: list[str], said: list[str]
) -> None:
    before = _stored(saved)
    child = spawn(saved, *args)
    try:
        for text in said:
            child.expect_exact(text)
        child.expect_exact("progress is unchanged")
        status = _ended(child)
    finally:
        if child.isalive():
            child.kill(9)
    assert status == 2
    assert _stored(saved) == before


def test_1_goto_never_takes_a_close_match_silently(saved: Path) -> None:
    child = spawn(saved)
    try:
        child.expect("step 3/4")
        child.expect_exact(PROMPT)
        send(child, "/goto e2e-basic.zeros")
        child.expect_exact("Did you mean e2e-basics?")
        child.expect_exact(PROMPT)
        send(child, "/goto e2e-basics.zeroes")
        child.expect_exact("Did you mean zeros?")
        child.expect_exact(PROMPT)
        send(child, "/explain")  # still where the learner was
        child.expect("Which function makes a tensor of ones")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    assert _stored(saved)[0] == [("e2e-basics", "pick")]


__all__ = ["PYTHON", "ROOT", "env"]


# 5 -------------------------------------------------------------------------------------------

UNSQUEEZE_TIP = "The new dim goes last"


@pytest.mark.parametrize(
    "lines",
    [
        ["out = m + r.unsqueeze(1); big = torch.empty(2**62, dtype=torch.uint8)", "/check"],
        ["out = m + r.unsqueeze(1); out.view(4)"],
    ],
    ids=["out-of-memory", "other-runtime-error"],
)
def test_5_the_unsqueeze_tip_needs_a_broadcasting_clash(tmp_path: Path, lines: list[str]) -> None:
    child = spawn(tmp_path / "p.sqlite3", "--lesson", "shapes", "--step", "broadcast-fix")
    try:
        child.expect("One number per row")
        child.expect_exact(PROMPT)
        for line in lines:
            send(child, line)
            child.expect(r"Not (quite )?yet" if line == lines[-1] else PROMPT)
        child.expect_exact(PROMPT)
        assert UNSQUEEZE_TIP not in child.before
        send(child, "out = m + r.unsqueeze(0)")  # the mistake the tip is about
        child.expect_exact(UNSQUEEZE_TIP)
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
