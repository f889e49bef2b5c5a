"""The interactive tutor in a real pseudo-terminal (pexpect): what a learner sees and types."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, Screen, env, leave, send, spawn  # noqa: E402 - after importorskip


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture()
def tutor(progress: Path) -> Iterator[pexpect.spawn]:
    child = spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    child.screen = Screen(child)  # what the terminal shows, from the first byte
    child.expect("A tensor of zeros")
    child.expect_exact(PROMPT)
    yield child
    leave(child)


SLOW_TORCH = """\
import importlib, os, sys, time

# A stand-in found before the real torch: it waits until the test opens the gate, then
# puts the real torch in its place. So the test decides when torch has loaded.
while not os.path.exists(os.environ["TUTOR_TEST_TORCH_GATE"]):
    time.sleep(0.02)
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
del sys.modules["torch"]
sys.modules["torch"] = importlib.import_module("torch")
"""


def test_first_prompt_before_torch_could_load(progress: Path, tmp_path: Path) -> None:
    shim, gate = tmp_path / "shim", tmp_path / "torch-may-load"
    (shim / "torch").mkdir(parents=True)
    (shim / "torch" / "__init__.py").write_text(SLOW_TORCH, encoding="utf-8")
    environ = env(TUTOR_TEST_TORCH_GATE=str(gate))
    environ["PYTHONPATH"] = f"{shim}{os.pathsep}{environ['PYTHONPATH']}"
    child = spawn(progress, "--lesson", "e2e-basics", environ=environ)
    try:
        # torch cannot have loaded: the gate is shut. The tutor must not wait for it.
        child.expect("This lesson checks the tutor itself")
        child.expect_exact(PROMPT)
        assert not gate.exists()
        gate.touch()
        send(child, "print(torch.ones(2).sum().item())")
        child.expect("2.0")
        child.expect_exact(PROMPT)
    finally:
        leave(child)


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
    # The output (not the echo of the line) says the loop has begun: then Ctrl-C.
    send(tutor, "print('spin' + 'ning', flush=True); any(False for _ in iter(int, 1))")
    tutor.expect("spinning")
    tutor.sendintr()
    tutor.expect("Interrupted")
    tutor.expect_exact(PROMPT)
    send(tutor, "keep + 1")
    tutor.expect("42")


def test_tab_completes_from_torch(tutor: pexpect.spawn) -> None:
    send(tutor, "print('worker ' + 'up')")  # the output, not the echo: the worker is up
    tutor.expect("worker up")
    tutor.expect_exact(PROMPT)
    screen = tutor.screen
    tutor.send("torch.zer\t")
    # The menu is open and Tab inserted the common part: wait for both on the screen.
    screen.wait_for(
        lambda lines: (
            any("zeros_like" in line for line in lines)
            and any(line.startswith(">>> torch.zeros") for line in lines)
        )
    )
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
