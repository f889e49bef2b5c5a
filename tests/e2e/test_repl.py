"""The interactive tutor in a real pseudo-terminal (pexpect): what a learner sees and types."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
LESSONS = str(ROOT / "tests" / "e2e" / "lessons")
PROMPT = ">>>"  # prompt_toolkit draws the space as a cursor move
TIMEOUT = 60


def _spawn(progress: Path, *extra: str) -> pexpect.spawn:
    env = dict(
        os.environ,
        TERM="xterm-256color",
        NO_COLOR="1",
        PYTHONPATH=str(ROOT),
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    env.pop("TUTOR_HOME", None)
    args = [
        "-m",
        "tutor",
        "--progress",
        str(progress),
        "--lang",
        "en",
        "--lessons",
        LESSONS,
        *extra,
    ]
    return pexpect.spawn(
        PYTHON,
        args,
        cwd=str(ROOT),
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture()
def tutor(progress: Path) -> Iterator[pexpect.spawn]:
    child = _spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.expect("A tensor of zeros")
    child.expect_exact(PROMPT)
    yield child
    _close(child)


def _close(child: pexpect.spawn) -> None:
    if child.isalive():
        child.sendcontrol("d")
        try:
            child.expect(pexpect.EOF, timeout=20)
        except pexpect.TIMEOUT:
            child.kill(signal.SIGKILL)
    child.close()


def _send(child: pexpect.spawn, line: str) -> None:
    child.send(line + "\r")


def test_first_prompt_before_torch_could_load(progress: Path) -> None:
    start = time.monotonic()
    subprocess.run([PYTHON, "-c", "import torch"], check=True)
    torch_import = time.monotonic() - start
    start = time.monotonic()
    child = _spawn(progress, "--lesson", "e2e-basics")
    child.expect("This lesson checks the tutor itself")
    child.expect_exact(PROMPT)
    to_prompt = time.monotonic() - start
    _close(child)
    # The tutor's process must not wait for torch: its prompt comes before torch alone loads.
    assert to_prompt < torch_import, (to_prompt, torch_import)


def test_wrong_answer_hints_and_right_answer(tutor: pexpect.spawn) -> None:
    _send(tutor, "x = torch.ones(2, 3)")
    tutor.expect("Not quite yet")
    tutor.expect("fills with ones")
    tutor.expect_exact(PROMPT)
    _send(tutor, "/hint")
    tutor.expect("hint 1 of 2")
    tutor.expect("named after what you want")
    _send(tutor, "/hint")
    tutor.expect("hint 2 of 2")
    tutor.expect(r"torch\.zeros\(rows, cols\)")
    _send(tutor, "x = torch.zeros(2, 3)")
    tutor.expect("Well done")
    tutor.expect("step 3/4")
    tutor.expect("Which function makes a tensor of ones")


def test_ctrl_c_interrupts_and_keeps_the_namespace(tutor: pexpect.spawn) -> None:
    _send(tutor, "keep = 41; print('ready', keep)")
    tutor.expect("ready 41")
    tutor.expect_exact(PROMPT)
    _send(tutor, "while True: pass")
    time.sleep(1.5)
    tutor.sendintr()
    tutor.expect("Interrupted")
    tutor.expect_exact(PROMPT)
    _send(tutor, "keep + 1")
    tutor.expect("42")


def test_tab_completes_from_torch(tutor: pexpect.spawn) -> None:
    _send(tutor, "print('up')")  # the worker is up once this has run
    tutor.expect("up")
    tutor.expect_exact(PROMPT)
    tutor.send("torch.zer\t")
    tutor.expect("zeros_like")  # the menu is open: Tab inserted the common part
    time.sleep(0.3)
    tutor.send("\r")  # closes the menu and runs the line, completed to torch.zeros
    tutor.expect("built-in method zeros")
    tutor.expect_exact(PROMPT)


def test_inspect_and_plain_words(tutor: pexpect.spawn) -> None:
    _send(tutor, "?torch.arange")
    tutor.expect(r"arange\(start=0, end")
    tutor.expect_exact(PROMPT)
    _send(tutor, "what is a tensor?")
    tutor.expect("From the course")
    tutor.expect_exact(PROMPT)


def test_quit_and_restart_resumes_the_same_step(progress: Path) -> None:
    child = _spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.expect_exact(PROMPT)
    _send(child, "x = torch.zeros(2, 3)")
    child.expect("Which function makes a tensor of ones")
    child.expect_exact(PROMPT)
    _send(child, "/quit")
    child.expect(pexpect.EOF)
    child.close()
    again = _spawn(progress)
    again.expect("Welcome back")
    again.expect("Which function makes a tensor of ones")
    again.expect_exact(PROMPT)
    _close(again)


def test_kill_9_loses_nothing_answered(progress: Path) -> None:
    child = _spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.expect_exact(PROMPT)
    _send(child, "x = torch.zeros(2, 3)")
    child.expect("Which function")
    child.expect_exact(PROMPT)
    _send(child, "/hint")
    child.expect_exact(PROMPT)
    child.kill(signal.SIGKILL)
    child.close()
    from tutor.progress import Store

    store = Store(progress)
    assert store.get("e2e-basics", "zeros").status == "passed"
    assert store.position() == ("e2e-basics", "pick")
    store.close()
    again = _spawn(progress)
    again.expect("Which function makes a tensor of ones")
    again.expect_exact(PROMPT)
    _close(again)
