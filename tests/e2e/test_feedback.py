"""The tutor's feedback as a newcomer reads it at 80 columns (issue 20, the newcomer walk's
C4, C7, C10-C12, C15-C17 and K1-K4, K8, K9): typed in a real pseudo-terminal, read off the
rendered screen (pyte), so the checks hold however the output was chunked or redrawn."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import ROOT, Screen, env, leave, send, spawn  # noqa: E402 - after importorskip

COLUMNS = 80


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


class Tutor:
    """The tutor at 80 columns, at one step; ``type`` returns what one input printed."""

    def __init__(self, progress: Path, lesson: str, step: str, lang: str = "en") -> None:
        self.child = spawn(
            progress, "--lesson", lesson, "--step", step, "--lang", lang, columns=COLUMNS
        )
        self.screen = Screen(self.child, columns=COLUMNS)
        self.screen.wait_for(lambda lines: any(text.startswith(">>>") for text in lines))

    def type(self, line: str, *more: str) -> list[str]:
        """Type ``line`` (then ``more`` lines, e.g. "" to end a block, "y" to confirm) and
        return the screen lines it printed, up to the next prompt."""
        shown = self.screen.lines()
        mark = max((i for i, text in enumerate(shown) if text.startswith(">>>")), default=0)
        for text in (line, *more):
            send(self.child, text)

        def printed(lines: list[str]) -> list[str] | None:
            start = next(
                (i for i in range(mark, len(lines)) if lines[i].startswith(">>> " + line[:40])),
                None,
            )
            if start is None:
                return None
            after = lines[start + 1 :]
            end = next((i for i, text in enumerate(after) if text.startswith(">>>")), None)
            return after[:end] if end is not None else None

        self.screen.wait_for(lambda lines: printed(lines) is not None)
        found = printed(self.screen.lines())
        assert found is not None
        return found

    def close(self) -> None:
        leave(self.child)


def _text(lines: list[str]) -> str:
    return "\n".join(lines)


def _flat(lines: list[str]) -> str:
    """The lines as one paragraph: a sentence reads whole wherever the terminal broke it."""
    return " ".join(lines)


def test_trying_things_out_at_a_code_step_is_not_marked(progress: Path) -> None:
    """C4: a loop that prints `x[i]` is exploration: no red table, one quiet line once;
    an input that makes `loss` is an attempt and gets the verdict."""
    tutor = Tutor(progress, "autograd", "two-inputs")
    try:
        shown = _text(tutor.type("for i in range(3): print(i, x[i])", ""))
        assert "2 tensor(3., grad_fn=<SelectBackward0>)" in shown
        assert "Not quite yet" not in shown and "✗" not in shown
        assert "Trying things out: nothing is marked" in shown
        assert "x, y, loss" in shown  # the names that make an input an answer
        again = _text(tutor.type("print(x.grad)"))
        assert "None" in again and "Not quite yet" not in again and "Trying" not in again
        attempt = _text(tutor.type("loss = (x * y).mean(); loss.backward()"))
        assert "Not quite yet." in attempt and "✗   x.grad" in attempt
    finally:
        tutor.close()


def test_a_predict_step_shows_the_real_output_after_a_second_wrong_try(progress: Path) -> None:
    """C7: the first wrong prediction keeps the output hidden and says when it will show."""
    tutor = Tutor(progress, "creating-tensors", "arange-end")
    try:
        first = tutor.type("[0, 1, 2, 3, 4]")
        assert "Not quite yet." in first and "(shown after a second try)" in _text(first)
        assert "What the code really prints:" not in first
        assert "tensor([0, 2, 4, 6, 8])" not in first
        assert "After a second wrong try I show what the code really prints" in _flat(first)
        second = _text(tutor.type("tensor([0, 2, 4, 6, 8, 10])"))
        assert "(printed below)" in second
        assert "What the code really prints:" in second and "tensor([0, 2, 4, 6, 8])" in second
    finally:
        tutor.close()


def test_in_chinese_solution_at_a_predict_step_shows_the_output(progress: Path) -> None:
    tutor = Tutor(progress, "creating-tensors", "arange-end", "zh")
    try:
        first = _text(tutor.type("[0, 1, 2, 3, 4]"))
        assert "（再答一次后显示）" in first and "这段代码实际输出" not in first
        assert "再想一想" in first
        shown = _text(tutor.type("/solution", "y"))
        assert "答案是" in shown and "这段代码实际输出：" in shown
        assert "tensor([0, 2, 4, 6, 8])" in shown
    finally:
        tutor.close()


def test_one_line_per_point_and_summaries_name_their_variable(progress: Path) -> None:
    """C10, C11, C12: the lesson's words for `evens` are not said twice; the counts name
    `rolls` and are not printed twice; a lesson without NumPy gets no NumPy advice."""
    tutor = Tutor(progress, "creating-tensors", "evens")
    try:
        evens = tutor.type("evens = torch.arange(0, 10, 2)")
        assert sum(line.startswith("→") for line in evens) == 1, evens
        assert "10 is missing" in _text(evens)
        tutor.type("/goto creating-tensors.dice")
        dice = _text(tutor.type("rolls = torch.randint(1, 6, (10,))"))
        assert "✗ rolls: 8 of 10 values differ" in dice
        assert "elements differ" not in dice and "80.0%" not in dice
        assert "rolls: it differs most at index" in dice
        assert dice.count("largest difference") == 1, dice  # said once (the walk saw it twice)
        tutor.type("/goto shapes.grid")
        grid = _text(tutor.type("grid = x.reshape(3, 4).clone()"))
        assert "(.clone() makes a copy)" in grid
        assert "from_numpy" not in grid and "numpy()" not in grid
        assert "make a view of x" in grid
    finally:
        tutor.close()


def test_hint_after_a_mistake_speaks_to_that_mistake(progress: Path) -> None:
    """C15: one underscore on each side; the first /hint is about the underscores."""
    tutor = Tutor(progress, "setup", "version")
    try:
        error = _flat(tutor.type("v = torch._version_"))
        assert "AttributeError" in error and "two underscores" in error
        hint = _text(tutor.type("/hint"))
        assert "about this mistake" in hint and "Count the underscores" in hint
        general = _text(tutor.type("/hint"))
        assert "hint 1 of 2" in general
    finally:
        tutor.close()


def test_numpy_in_chinese_names_np_and_wraps_the_english_warning(progress: Path) -> None:
    """C16, C17: `np.array(t)` runs (the step gives `np`), its copy is explained in Chinese,
    and NumPy's long English warning is labelled and wrapped between words; `np` where no
    step gave it gets a Chinese explanation."""
    tutor = Tutor(progress, "numpy", "shared-view", "zh")
    try:
        shown = tutor.type("a = np.array(t)")
        text = _text(shown)
        assert "np.array(t) 会把数字复制到一个新数组里" in text
        warning = [line for line in shown if "DeprecationWarning" in line]
        assert warning and warning[0].startswith("警告："), shown
        start = shown.index(warning[0])
        block = shown[start : start + 4]
        for line in block[1:]:
            if line.startswith("    "):
                # a continuation starts with a whole word, not the rest of a cut one
                assert re.match(r"    [\w_'\"(=:/]", line), block
        assert any("copy keyword" in line for line in block), block  # not cut as "co / py"
        tutor.type("/goto tensors.scalar")
        named = _text(tutor.type("s = np.float32(3.5)"))
        assert "NameError" in named and "惯用简称" in named and "import numpy as np" in named
    finally:
        tutor.close()


def test_assigning_a_number_to_grad_is_explained_in_chinese(progress: Path) -> None:
    """C16: `x.grad = 0` gets a 这是什么意思 box."""
    tutor = Tutor(progress, "autograd-more", "detach-clone", "zh")
    try:
        shown = _text(tutor.type("x.grad = 0"))
        assert "TypeError" in shown and "这是什么意思" in shown and "只能放张量" in shown
    finally:
        tutor.close()


def test_code_spans_stay_whole_and_value_columns_are_cut_alike(progress: Path) -> None:
    """K1: a code span in the feedback is not broken across lines; K2: the expected and got
    columns of a long tensor are cut at the same place, after a whole value."""
    tutor = Tutor(progress, "creating-tensors", "grid")
    try:
        k1 = tutor.type("grid = torch.linspace(0, 1, 11.0)")
        assert any("linspace(start, end, steps)" in line for line in k1), k1
        k2 = tutor.type("grid = torch.arange(0, 1.1, 0.1)")
        row = next(line for line in k2 if "grid.values" in line)
        assert row.count("tensor([0.0000, 0.1000,…") == 2, row
    finally:
        tutor.close()


def test_each_cross_stands_beside_the_value_it_marks(progress: Path) -> None:
    """K3: `1✗  2✗`, not `1 ✗ 2 ✗` (which reads as if ✗ belonged to the next value)."""
    tutor = Tutor(progress, "shapes", "flatten-transposed")
    try:
        shown = tutor.type("flat = m.reshape(-1)")
        strip = next(line for line in shown if line.startswith("0 3 1 4 2 5"))
        assert "1✗  2✗" in strip and " ✗ " not in strip, strip
    finally:
        tutor.close()


def test_the_broadcast_diagram_names_the_operands_as_written(progress: Path) -> None:
    """K4: the rows are `m` and `r.unsqueeze(0)`, as in the words above them, not a and b."""
    tutor = Tutor(progress, "shapes", "broadcast-fix")
    try:
        shown = tutor.type("out = m + r.unsqueeze(0)")
        assert any(re.match(r"│ r\.unsqueeze\(0\) +… 3", line) for line in shown), shown
        assert not any(re.match(r"│ [ab] … \d", line) for line in shown), shown
    finally:
        tutor.close()


def test_lesson_one_wrong_choices_are_real_misconceptions(progress: Path) -> None:
    """K9: a wrong choice is a belief a newcomer may hold, and its feedback answers it."""
    tutor = Tutor(progress, "what-is-ai", "three-verbs")
    try:
        shown = tutor.screen.lines()
        assert any("Understand and feel as a person does" in line for line in shown)
        assert not any("Draw, colour, animate" in line for line in shown)
        said = _flat(tutor.type("4"))
        assert "does not understand or feel as people do" in said
    finally:
        tutor.close()


def test_check_prints_code_without_backticks_and_one_line_per_point(tmp_path: Path) -> None:
    """K8 and C10 in `check`: code spans as code, the detector quiet where the lesson spoke."""
    answer = tmp_path / "answer.py"
    answer.write_text("o = torch.ones(1, 3)\nz = torch.zeros(2, 3)\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "tutor", "check", "creating-tensors", "zeros-ones", str(answer)],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env=env(COLUMNS=str(COLUMNS)),
        timeout=120,
    ).stdout
    assert "✗ o.shape" in out and "`" not in out
    assert sum(line.startswith("→") for line in out.splitlines()) == 1, out
