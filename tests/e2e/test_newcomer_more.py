"""What a newcomer looked for and did not find (issue 20, the newcomer walk): readable
``?name`` documentation (C18, with a Chinese line first in Chinese), ``/next`` and ``/skip``
told apart (C20), ``/vars NAME`` with the value, ``/undo``, and a ``.to(device)`` that shows
a move on a machine without a GPU. Typed as a learner types, read off the rendered screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, Screen, leave, send, spawn  # noqa: E402 - after importorskip


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


def _at(progress: Path, lesson: str, step: str, *extra: str) -> tuple[pexpect.spawn, Screen]:
    child = spawn(progress, "--lesson", lesson, "--step", step, *extra)
    screen = Screen(child)
    screen.wait_for(lambda lines: any(line.startswith(PROMPT) for line in lines))
    return child, screen


def _typed(screen: Screen, child: pexpect.spawn, line: str) -> list[str]:
    """Type ``line``; return the lines shown from it to the next prompt (the prompt excluded).

    Found on the rendered screen by the echo of the input, however the output scrolled."""
    echo = PROMPT + " " + line

    def echoes(lines: list[str]) -> list[int]:
        return [i for i, text in enumerate(lines) if text == echo]

    before = len(echoes(screen.lines()))
    send(child, line)

    def answered(lines: list[str]) -> bool:
        found = echoes(lines)
        return len(found) > before and any(
            text.startswith(PROMPT) for text in lines[found[before] + 1 :]
        )

    screen.wait_for(answered)
    lines = screen.lines()
    rest = lines[echoes(lines)[before] + 1 :]
    end = next(i for i, text in enumerate(rest) if text.startswith(PROMPT))
    return rest[:end]


# ---------------------------------------------------------------- C18: ?name as readable text


def test_doc_lookup_reads_as_text_not_rest(progress: Path) -> None:
    child, screen = _at(progress, "creating-tensors", "evens")
    shown = "\n".join(_typed(screen, child, "?torch.arange"))
    for raw in (":math:", ":attr:", ":func:", ":meth:", ":class:", "``", ".. math::", "\\frac"):
        assert raw not in shown, f"{raw!r} is still on screen:\n{shown}"
    assert "⌈(end − start) / step⌉" in shown  # the size formula, as a reader writes it
    assert "out_{i+1}" not in shown and "out[i+1] = out[i] + step" in shown
    assert re.search(r"start\b.*the starting value", shown)  # the arguments, one a line
    leave(child)


def test_doc_lookup_in_chinese_says_what_it_does_first(progress: Path) -> None:
    child, screen = _at(progress, "creating-tensors", "evens", "--lang", "zh")
    lines = _typed(screen, child, "?torch.arange")
    shown = "\n".join(lines)
    chinese = next(i for i, line in enumerate(lines) if "等间隔" in line)
    english = next(i for i, line in enumerate(lines) if "Returns a 1-D tensor" in line)
    assert chinese < english, shown
    assert "英文" in shown  # it says the rest is PyTorch's own English text
    # A function the course never uses: said plainly, then the English text.
    other = "\n".join(_typed(screen, child, "?torch.nn.functional.hardtanh"))
    assert "没有中文简介" in other, other
    leave(child)


# ---------------------------------------------------------------- C20: /next and /skip


def test_next_and_skip_look_and_record_differently(progress: Path) -> None:
    child, screen = _at(progress, "tensors", "scalar")
    moved = "\n".join(_typed(screen, child, "/next"))
    assert "not passed" in moved and "stays open" in moved, moved
    _typed(screen, child, "/back")
    skipped = "\n".join(_typed(screen, child, "/skip"))
    assert "marked as skipped" in skipped, skipped
    assert "stays open" not in skipped
    table = "\n".join(_typed(screen, child, "/lessons"))
    row = next(line for line in table.splitlines() if " tensors " in line)
    assert "1 skipped" in row, table
    leave(child)


def test_next_and_skip_in_chinese(progress: Path) -> None:
    child, screen = _at(progress, "tensors", "scalar", "--lang", "zh")
    moved = "\n".join(_typed(screen, child, "/next"))
    assert "没有通过" in moved and "仍然开着" in moved, moved
    _typed(screen, child, "/back")
    skipped = "\n".join(_typed(screen, child, "/skip"))
    assert "标记为跳过" in skipped, skipped
    leave(child)


# ---------------------------------------------------------------- /vars NAME


def test_vars_name_shows_the_value_bounded(progress: Path) -> None:
    child, screen = _at(progress, "operations", "add-sub-pow")
    shown = "\n".join(_typed(screen, child, "/vars a"))
    assert "tensor([1., 2., 3.])" in shown, shown
    assert "float32" in shown
    _typed(screen, child, "big = torch.arange(1_000_000).reshape(1000, 1000)")
    lines = _typed(screen, child, "/vars big")
    shown = "\n".join(lines)
    assert "..." in shown and "999999" in shown, shown
    assert len(lines) < 30, shown  # a million numbers, a screenful at most
    assert "1,000,000" in shown  # how many there are in all
    shown = "\n".join(_typed(screen, child, "/vars a.shape"))  # an attribute path
    assert "torch.Size([3])" in shown, shown
    shown = "\n".join(_typed(screen, child, "/vars nope"))
    assert "nope" in shown and "a, b, big" in shown, shown
    leave(child)


# ---------------------------------------------------------------- /undo


def test_undo_puts_the_namespace_back_as_before_the_last_input(progress: Path) -> None:
    child, screen = _at(progress, "operations", "add-sub-pow")
    _typed(screen, child, "a.add_(b)")
    assert "tensor([ 5.,  8., 11.])" in "\n".join(_typed(screen, child, "print(a)"))
    shown = "\n".join(_typed(screen, child, "/undo"))
    assert "print(a)" in shown, shown  # the last input was the print: that is what goes
    shown = "\n".join(_typed(screen, child, "/undo"))
    assert "a.add_(b)" in shown, shown
    assert "tensor([1., 2., 3.])" in "\n".join(_typed(screen, child, "print(a)"))
    # An input that failed half-way still changed a: undo it too.
    _typed(screen, child, "a.mul_(10); oops")
    assert "tensor([10., 20., 30.])" in "\n".join(_typed(screen, child, "print(a)"))
    _typed(screen, child, "/undo")
    _typed(screen, child, "/undo")
    assert "tensor([1., 2., 3.])" in "\n".join(_typed(screen, child, "print(a)"))
    for _ in range(3):
        _typed(screen, child, "/undo")
    shown = "\n".join(_typed(screen, child, "/undo"))
    assert "Nothing to undo" in shown, shown
    leave(child)


def test_undo_in_chinese(progress: Path) -> None:
    child, screen = _at(progress, "operations", "add-sub-pow", "--lang", "zh")
    _typed(screen, child, "a.add_(b)")
    shown = "\n".join(_typed(screen, child, "/undo"))
    assert "已撤销" in shown, shown
    assert "tensor([1., 2., 3.])" in "\n".join(_typed(screen, child, "print(a)"))
    leave(child)


# ---------------------------------------------------------------- .to(device) without a GPU


def test_a_move_you_can_see_without_a_gpu(progress: Path) -> None:
    child, screen = _at(progress, "attributes-devices", "meta-device")
    shown = "\n".join(_typed(screen, child, 'x.to("meta"); m = x'))
    assert "Not quite yet" in shown and "returns" in shown, shown
    shown = "\n".join(_typed(screen, child, 'm = x.to("meta"); print(x.device, m.device)'))
    assert "cpu meta" in shown and "Well done" in shown, shown
    leave(child)


def test_vars_name_survives_hostile_values(progress: Path) -> None:
    """A value whose repr hangs, one whose repr raises, a huge string: a clear line each, and
    the learner's variables are still there afterwards."""
    child, screen = _at(progress, "operations", "add-sub-pow")
    forever = "lambda self: str(any(False for _ in iter(int, 1)))"
    _typed(screen, child, f"Slow = type('Slow', (), {{'__repr__': {forever}}})")
    _typed(screen, child, "s = Slow(); text = 'ab' * 5_000_000")
    shown = "\n".join(_typed(screen, child, "/vars s"))
    assert "did not answer" in shown or "could not be shown" in shown, shown
    assert "Traceback" not in shown
    _typed(screen, child, "Bad = type('Bad', (), {'__repr__': lambda self: 1 / 0})")
    _typed(screen, child, "bad = Bad()")
    shown = "\n".join(_typed(screen, child, "/vars bad"))
    assert "repr() failed: ZeroDivisionError" in shown, shown
    shown = "\n".join(_typed(screen, child, "/vars text"))
    assert len(shown) < 2000 and "..." in shown, shown[-500:]
    assert "tensor([1., 2., 3.])" in "\n".join(_typed(screen, child, "print(a)"))
    leave(child)
