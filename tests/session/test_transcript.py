"""The session transcript (tutor.session.transcript.Recorder): what it keeps, the handouts."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from rich.text import Text

from tutor.render import chat as render
from tutor.session.transcript import Recorder
from tutor.session.ui import PlainUI, ScriptUI, make_console, prompted


def _recorder(inputs: str, width: int = 60) -> tuple[Recorder, io.StringIO]:
    screen = io.StringIO()
    ui = PlainUI(make_console(screen, width=width, plain=True), io.StringIO(inputs))
    return Recorder(ui), screen


def _page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_prompted_marks_every_line() -> None:
    assert prompted("for i in range(2):\n    print(i)\n") == (
        ">>> for i in range(2):\n...     print(i)"
    )
    assert prompted("/hint") == ">>> /hint"


def test_keeps_inputs_messages_output_and_answers() -> None:
    rec, screen = _recorder("x = 1\n/hint\ny\n")
    assert rec.read() == "x = 1"
    rec.show(render.tutor_says("**Well** done"))
    rec.write_output("partial ")
    rec.write_output("line\n")
    assert rec.read() == "/hint"
    assert rec.confirm("Show? [y/N] ") is True
    text = rec.text()
    assert text.split("\n")[:5] == [
        ">>> x = 1",
        "Well done",
        "partial line",
        ">>> /hint",
        "Show? [y/N] y",
    ]
    # The screen got the same things (the recorder passes everything on).
    assert "Well done" in screen.getvalue() and "partial line" in screen.getvalue()


def test_type_in_is_recorded_as_typed() -> None:
    rec, screen = _recorder("")
    assert rec.type_in("a = 1\nb = 2") == "a = 1\nb = 2"
    assert ">>> a = 1\n... b = 2" in screen.getvalue()
    assert rec.text().startswith(">>> a = 1\n... b = 2\n")


def test_save_html_and_text_read_back(tmp_path: Path) -> None:
    rec, _ = _recorder("y = x <b> 2\n")
    rec.read()
    rec.show(Text("✗ shape", style="bold red"), render.code("print('hi')"))
    page = rec.save(tmp_path / "out" / "class.HTML")
    text = rec.save(tmp_path / "notes.txt")
    body = page.read_text(encoding="utf-8")
    assert (
        body.lstrip().lower().startswith("<!doctype html") and "<title>torch-tutor</title>" in body
    )
    assert "color" in body  # styles are kept for the handout, even under NO_COLOR
    shown = _page_text(body)
    assert ">>> y = x <b> 2" in shown and "✗ shape" in shown and "print('hi')" in shown
    plain = text.read_text(encoding="utf-8")
    assert plain.startswith(">>> y = x <b> 2\n✗ shape\nprint('hi')")
    assert "\x1b" not in plain and not any(line.endswith(" ") for line in plain.split("\n"))
    assert not list(tmp_path.glob("**/*.tmp"))


def test_width_of_the_transcript_follows_the_console() -> None:
    rec, _ = _recorder("", width=40)
    rec.show(render.hint("a hint that is long enough to wrap in a forty column panel", 1, 2, "en"))
    lines = rec.text().rstrip("\n").split("\n")
    assert max(len(line) for line in lines) <= 40


def test_the_session_wraps_its_ui_and_delegates() -> None:
    from tutor.progress import Store
    from tutor.session.conversation import Session

    ui = ScriptUI([])
    session = Session([], None, Store(None), ui)
    assert isinstance(session.ui, Recorder)
    assert session.ui.transcript() == ""  # ScriptUI's own method, through the recorder
