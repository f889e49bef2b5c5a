"""Verdicts a learner can trust, in a real pseudo-terminal, typed as a learner types: the answer
is judged, not the history; a beginner's words do what they mean (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, leave, send, spawn  # noqa: E402 - after importorskip


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


def _at(progress: Path, lesson: str, step: str, *extra: str) -> pexpect.spawn:
    child = spawn(progress, "--lesson", lesson, "--step", step, *extra)
    child.expect_exact(PROMPT)
    return child


def test_after_a_second_backward_the_right_answer_passes(progress: Path) -> None:
    """B1: the first try left x.grad at 7; the right answer passes, and the tutor says why."""
    child = _at(progress, "autograd", "first-gradient")
    send(child, "y = x**2 + 3*x + 1; y.backward(); y.backward()")
    child.expect("backward through the graph a second time")
    child.expect_exact(PROMPT)
    send(child, "y = x**2 + 3*x + 1; y.backward()")
    child.expect("Well done")
    child.expect("Your earlier try changed")
    child.expect("x.grad")
    child.expect("I ran your answer again from the start")
    child.expect_exact(PROMPT)
    leave(child)


def test_a_line_at_a_time_the_whole_answer_counts(progress: Path) -> None:
    """W5: `add` one input earlier still counts; no "Use add"."""
    child = _at(progress, "operations", "add-sub-pow")
    send(child, "total = a.add(b); gap = a.sub(b); sq = gap.pow(2)")
    child.expect("Not quite yet")
    child.expect_exact(PROMPT)
    send(child, "gap = b.sub(a); sq = gap.pow(2)")
    index = child.expect(["Well done", "Use add"])
    assert index == 0
    leave(child)


def test_in_chinese_the_copy_passes_after_detach_changed_x(progress: Path) -> None:
    """B2: `snapshot = x.detach(); snapshot += 1` changed x; the right copy then passes."""
    child = _at(progress, "autograd-more", "detach-clone", "--lang", "zh")
    send(child, "snapshot = x.detach(); snapshot += 1")
    child.expect("还差一点")
    child.expect_exact(PROMPT)
    send(child, "snapshot = x.detach().clone(); snapshot += 1")
    child.expect("做得好")
    child.expect("你之前的尝试改变了")
    child.expect_exact(PROMPT)
    leave(child)


def test_exploring_at_a_predict_prompt_runs_and_gives_nothing_away(progress: Path) -> None:
    child = _at(progress, "autograd-more", "accumulate")
    send(child, "t = torch.tensor([5.0, 6.0])")
    child.expect_exact(PROMPT)
    send(child, "t.sum()")
    index = child.expect(["tensor\\(11\\.\\)", "really prints", "none of the choices"])
    assert index == 0
    child.expect_exact(PROMPT)
    send(child, "hint")
    child.expect("without a slash")
    child.expect("hint 1 of")
    child.expect_exact(PROMPT)
    send(child, "quit")
    child.expect("Bye")
    child.expect(pexpect.EOF)
    child.close()


def test_a_first_start_shows_the_map_and_an_unknown_question_gets_i_dont_know(
    progress: Path,
) -> None:
    child = spawn(progress)
    child.expect("The course")
    child.expect("/goto")
    child.expect_exact(PROMPT)
    send(child, "how do I load a CSV file with pandas?")
    child.expect("I don't know that one")
    child.expect_exact(PROMPT)
    leave(child)
