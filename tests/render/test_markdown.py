"""Lesson Markdown as the tutor prints it: numbered lists keep their dots, code blocks sit snug."""

from __future__ import annotations

import io

from rich.console import Console

from tutor.render.chat import markdown


def _text(source: str, width: int = 40) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(markdown(source))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_numbered_items_keep_their_dots_and_wrap_under_the_text() -> None:
    lines = _text("1. Build\n2. Train on data long enough to wrap here\n3. Infer", width=30)
    assert lines[0] == " 1. Build"
    assert (
        lines[1].startswith(" 2. Train")
        and lines[2].startswith("    ")
        and lines[-1] == " 3. Infer"
    )


def test_a_code_block_has_one_blank_line_around_it() -> None:
    lines = _text("Before:\n\n```python\nx = 1\n```\n\nAfter.")
    assert lines == ["Before:", "", " x = 1", "", "After."]


def test_a_table_has_one_blank_line_around_it_and_a_list_opens_without_one() -> None:
    assert _text("Before:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nAfter.")[:2] == ["Before:", ""]
    lines = _text("Before:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nAfter.")
    assert lines[2].split() == ["a", "b"] and lines[-2:] == ["", "After."]
    console = Console(file=io.StringIO(), width=40, color_system=None)
    console.print(markdown("- one\n- two"))
    assert console.file.getvalue().startswith(" • one")  # type: ignore[attr-defined]
