"""The interactive tutor in a real pseudo-terminal (pexpect): what a learner sees and types."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, PYTHON, leave, send, spawn  # noqa: E402 - after importorskip


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture()
def tutor(progress: Path) -> Iterator[pexpect.spawn]:
    child = spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.expect("A tensor of zeros")
    child.expect_exact(PROMPT)
    yield child
    leave(child)


def test_first_prompt_before_torch_could_load(progress: Path) -> None:
    start = time.monotonic()
    subprocess.run([PYTHON, "-c", "import torch"], check=True)
    torch_import = time.monotonic() - start
    start = time.monotonic()
    child = spawn(progress, "--lesson", "e2e-basics")
    child.expect("This lesson checks the tutor itself")
    child.expect_exact(PROMPT)
    to_prompt = time.monotonic() - start
    leave(child)
    # The tutor's process must not wait for torch: its prompt comes before torch alone loads.
    assert to_prompt < torch_import, (to_prompt, torch_import)


def test_wrong_answer_hints_and_right_answer(tutor: pexpect.spawn) -> None:
    send(tutor, "x = torch.ones(2, 3)")
    tutor.expect("Not quite yet")
    tutor.expect("fills with ones")
    tutor.expect_exact(PROMPT)
    send(tutor, "/hint")
    tutor.expect("hint 1 of 2")
    tutor.expect("named after what you want")
    send(tutor, "/hint")
    tutor.expect("hint 2 of 2")
    tutor.expect(r"torch\.zeros\(rows, cols\)")
    send(tutor, "x = torch.zeros(2, 3)")
    tutor.expect("Well done")
    tutor.expect("step 3/4")
    tutor.expect("Which function makes a tensor of ones")


def test_ctrl_c_interrupts_and_keeps_the_namespace(tutor: pexpect.spawn) -> None:
    send(tutor, "keep = 41; print('ready', keep)")
    tutor.expect("ready 41")
    tutor.expect_exact(PROMPT)
    send(tutor, "while True: pass")
    time.sleep(1.5)
    tutor.sendintr()
    tutor.expect("Interrupted")
    tutor.expect_exact(PROMPT)
    send(tutor, "keep + 1")
    tutor.expect("42")


def test_tab_completes_from_torch(tutor: pexpect.spawn) -> None:
    send(tutor, "print('up')")  # the worker is up once this has run
    tutor.expect("up")
    tutor.expect_exact(PROMPT)
    tutor.send("torch.zer\t")
    tutor.expect("zeros_like")  # the menu is open: Tab inserted the common part
    time.sleep(0.3)
    tutor.send("\r")  # closes the menu and runs the line, completed to torch.zeros
    tutor.expect("built-in method zeros")
    tutor.expect_exact(PROMPT)


def test_inspect_and_plain_words(tutor: pexpect.spawn) -> None:
    send(tutor, "?torch.arange")
    tutor.expect(r"arange\(start=0, end")
    tutor.expect_exact(PROMPT)
    send(tutor, "what is a tensor?")
    tutor.expect("From the course")
    tutor.expect_exact(PROMPT)


def test_quit_and_restart_resumes_the_same_step(progress: Path) -> None:
    child = spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.expect_exact(PROMPT)
    send(child, "x = torch.zeros(2, 3)")
    child.expect("Which function makes a tensor of ones")
    child.expect_exact(PROMPT)
    send(child, "/quit")
    child.expect(pexpect.EOF)
    child.close()
    again = spawn(progress)
    again.expect("Welcome back")
    again.expect("Which function makes a tensor of ones")
    again.expect_exact(PROMPT)
    leave(again)


def test_kill_9_loses_nothing_answered(progress: Path) -> None:
    child = spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.expect_exact(PROMPT)
    send(child, "x = torch.zeros(2, 3)")
    child.expect("Which function")
    child.expect_exact(PROMPT)
    send(child, "/hint")
    child.expect_exact(PROMPT)
    child.kill(signal.SIGKILL)
    child.close()
    from tutor.progress import Store

    store = Store(progress)
    assert store.get("e2e-basics", "zeros").status == "passed"
    assert store.position() == ("e2e-basics", "pick")
    store.close()
    again = spawn(progress)
    again.expect("Which function makes a tensor of ones")
    again.expect_exact(PROMPT)
    leave(again)
