"""A workshop in a real pseudo-terminal (pexpect): start anywhere, present, hand out, collect."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, Screen, env, leave, send, spawn  # noqa: E402

SOLUTION = "x = torch.zeros(2, 3)"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]")

CUSTOM = """
id = "my-course"
section = 98
title.en = "Instructor's own"
title.zh = "讲师自编"

[[steps]]
id = "double"
kind = "code"
title.en = "Double it"
title.zh = "翻倍"
text.en = "Make `y`, twice `a`."
text.zh = "创建 `y`，等于 `a` 的两倍。"
setup = "a = torch.arange(6)"
solution = "y = a * 2"
check = ["y"]
hints.en = ["Multiply.", "`y = a * 2`"]
hints.zh = ["乘法。", "`y = a * 2`"]
"""


def _spawn(progress: Path, *extra: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    return spawn(progress, *extra, environ=env)


def _quit(child: pexpect.spawn) -> None:
    leave(child, "/quit\r")


@pytest.fixture()
def progress(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


def test_start_anywhere_by_step_id_and_goto(progress: Path) -> None:
    child = _spawn(progress, "--lesson", "e2e-basics", "--step", "pick")
    try:
        child.expect("step 3/4")
        child.expect("Which function makes a tensor of ones")
        child.expect_exact(PROMPT)
        send(child, "/goto e2e-basics.zeros")
        child.expect("step 2/4")
        child.expect("A tensor of zeros")
        child.expect_exact(PROMPT)
        send(child, "/goto e2e-basics 4")
        child.expect("That is all")
        child.expect_exact(PROMPT)
        send(child, "/explain")  # the step's text again, for whoever came in late
        child.expect("That is all")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_no_save_keeps_nothing(progress: Path) -> None:
    child = _spawn(progress, "--no-save", "--lesson", "e2e-basics", "--step", "2")
    try:
        child.expect("not saved")
        child.expect_exact(PROMPT)
        send(child, SOLUTION)
        child.expect("Well done")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    assert not progress.exists()
    assert list(progress.parent.iterdir()) == []  # no history file either


def test_solution_is_typed_into_the_prompt_then_runs(progress: Path) -> None:
    child = _spawn(
        progress, "--lesson", "e2e-basics", "--step", "2", env=env(TORCH_TUTOR_TYPE_DELAY="0.05")
    )
    screen = Screen(child)
    screen.watch_frames = True  # keep the screen as each render of the prompt left it
    try:
        child.expect("A tensor of zeros")
        child.expect_exact(PROMPT)
        send(child, "/solution")
        child.expect_exact("Show the solution? [y/N]")
        send(child, "y")
        child.expect("Press Enter to run it")
        screen.wait_for(lambda lines: f">>> {SOLUTION}" in lines)
        # Typed, not pasted: some render showed the prompt holding only the start of it.
        partial = [
            line
            for frame in screen.on_frame
            for line in frame
            if line.startswith(">>> x =") and SOLUTION.startswith(line[4:]) and line[4:] != SOLUTION
        ]
        assert partial, "the solution appeared at once"
        child.send("\r")
        child.expect("Well done")
        child.expect("step 3/4")
        child.expect("Which function makes a tensor of ones")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_transcript_export_html_and_text(progress: Path, tmp_path: Path) -> None:
    page, text = tmp_path / "class.html", tmp_path / "notes.txt"
    child = _spawn(progress, "--record", str(page), "--lesson", "e2e-basics", "--step", "2")
    try:
        child.expect_exact(PROMPT)
        send(child, "x = torch.ones(2, 3)")
        child.expect("fills with ones")
        child.expect_exact(PROMPT)
        # Joined at run time: the output, not the echo of the typed line, is waited for.
        send(child, "print('hello from the ' + 'worker')")
        child.expect("hello from the worker")
        child.expect_exact(PROMPT)
        # --record rewrites the handout after every input: a killed tutor keeps it.
        assert "hello from the worker" in page.read_text(encoding="utf-8")
        send(child, SOLUTION)
        child.expect("Well done")
        child.expect_exact(PROMPT)
        send(child, f"/save {text}")
        child.expect("Transcript saved to")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    saved = text.read_text(encoding="utf-8")
    body = page.read_text(encoding="utf-8")
    assert body.lstrip().lower().startswith("<!doctype html")
    shown = html.unescape(re.sub(r"<[^>]+>", "", body))
    for transcript in (saved, shown):
        assert ">>> x = torch.ones(2, 3)" in transcript  # what the learner typed
        assert "A tensor of zeros" in transcript  # the tutor's messages
        assert "hello from the worker" in transcript  # output
        assert "Not quite yet" in transcript and "fills with ones" in transcript  # verdicts
        assert ">>> x = torch.zeros(2, 3)" in transcript and "Well done" in transcript
    assert "/quit" in shown and "/quit" not in saved  # the handout was written at the end
    assert "\x1b[" not in saved


def test_progress_export_after_a_short_session(progress: Path, tutor_cli: Any) -> None:
    child = _spawn(progress, "--lesson", "e2e-basics", "--step", "2")
    try:
        child.expect_exact(PROMPT)
        send(child, "x = torch.ones(2, 3)")
        child.expect("fills with ones")
        child.expect_exact(PROMPT)
        send(child, "/hint")
        child.expect("hint 1 of 2")
        child.expect_exact(PROMPT)
        send(child, SOLUTION)
        child.expect("Which function")
        child.expect_exact(PROMPT)
        send(child, "/skip")
        child.expect("Skipped")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)

    def export(fmt: str) -> str:
        args = ("--progress", str(progress), "progress", "--export", fmt)
        done = tutor_cli(*args, env=env(), timeout=60, check=True)
        return done.stdout

    rows = {r["step"]: r for r in csv.DictReader(io.StringIO(export("csv")))}
    assert rows["zeros"]["status"] == "passed"
    assert int(rows["zeros"]["attempts"]) == 2 and int(rows["zeros"]["hints"]) == 1
    assert float(rows["zeros"]["seconds"]) >= 0
    assert rows["pick"]["status"] == "skipped"
    data = {r["step"]: r for r in json.loads(export("json"))}
    assert data["zeros"] == {
        "lesson": "e2e-basics",
        "step": "zeros",
        "status": "passed",
        "attempts": 2,
        "hints": 1,
        "seconds": data["zeros"]["seconds"],
    }
    assert data["pick"]["status"] == "skipped"


def test_custom_lessons_join_the_catalog_and_show_their_setup(
    progress: Path, tmp_path: Path
) -> None:
    course = tmp_path / "course"
    course.mkdir()
    (course / "my-course.toml").write_text(CUSTOM, encoding="utf-8")
    child = _spawn(progress, "--lessons", str(course), "--lesson", "e2e-basics")
    try:
        child.expect_exact(PROMPT)
        send(child, "/lessons")
        child.expect("my-course")
        child.expect_exact(PROMPT)
        send(child, "/goto my-course")
        child.expect("Make y, twice a")
        child.expect("Given:")
        child.expect_exact("a = torch.arange(6)")
        child.expect_exact(PROMPT)
        send(child, "y = a * 2")
        child.expect("Well done")
    finally:
        _quit(child)


def test_edit_runs_the_saved_file_as_an_attempt(progress: Path, tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor"
    seen = tmp_path / "seen.txt"
    # An "editor" that keeps what it was given and appends the answer, as a learner would.
    editor.write_text(f'#!/bin/sh\ncp "$1" {seen}\necho "{SOLUTION}" >> "$1"\n')
    editor.chmod(0o755)
    child = _spawn(
        progress, "--lesson", "e2e-basics", "--step", "2", env=env(EDITOR=str(editor), VISUAL="")
    )
    try:
        child.expect_exact(PROMPT)
        send(child, "/edit")
        child.expect("Well done")
        child.expect("Which function makes a tensor of ones")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    starter = seen.read_text(encoding="utf-8")
    assert starter.startswith("# Test lesson · A tensor of zeros")
    assert "# Make `x`, a 2 x 3 tensor filled with zeros." in starter


def test_width_option_caps_every_line(progress: Path) -> None:
    child = _spawn(progress, "--width", "50", "--lesson", "e2e-basics", "--step", "2")
    screen = Screen(child)  # the rendered terminal: prompt redraws overwrite, never add up
    try:
        child.expect_exact(PROMPT)
        for line, shows in (
            ("/help", "Commands"),
            ("/lessons", "Lessons"),
            ("x = torch.ones(2, 3)", "fills with ones"),
            ("/hint", "hint 1"),
        ):
            send(child, line)
            child.expect(shows)
            child.expect_exact(PROMPT)
    finally:
        _quit(child)
    lines = screen.lines()
    shown = "\n".join(lines)
    for part in ("Commands", "Lessons", ">>> x = torch.ones(2, 3)", "hint 1"):
        assert part in shown, shown
    assert [line for line in lines if len(line) > 50] == []
