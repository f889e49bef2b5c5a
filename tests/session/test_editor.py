"""``/edit``'s editor helpers (tutor.session.editor): which editor, what comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.session import editor


def test_editor_command_prefers_visual_then_editor() -> None:
    assert editor.editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor.editor_command({"VISUAL": " ", "EDITOR": "nano -w"}) == ["nano", "-w"]


def test_edit_returns_what_the_editor_saved(tmp_path: Path) -> None:
    script = tmp_path / "ed"
    script.write_text('#!/bin/sh\necho "y = 2" >> "$1"\n')
    script.chmod(0o755)
    assert editor.edit("# task\n", "a.py", {"EDITOR": str(script)}) == "# task\ny = 2\n"


def test_a_failing_or_missing_editor_is_an_editor_error(tmp_path: Path) -> None:
    with pytest.raises(editor.EditorError):
        editor.edit("", "a.py", {"EDITOR": str(tmp_path / "no-such-editor")})
    with pytest.raises(editor.EditorError, match="status 3"):
        editor.edit("", "a.py", {"EDITOR": "sh -c 'exit 3'"})


def test_body_drops_the_starter_comments() -> None:
    text = "# Lesson · Step\n#\n# Make `x`.\n\nx = 1\n# keep me\ny = 2\n"
    assert editor.body(text) == "x = 1\n# keep me\ny = 2"
    assert not editor.has_code("# only\n\n# comments\n")
