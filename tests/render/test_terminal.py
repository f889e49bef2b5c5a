"""Program output as a terminal leaves it: carriage returns and backspaces rewrite the line."""

from __future__ import annotations

import io

from tutor.render.terminal import LineEditor, as_shown
from tutor.session.transcript import Recorder
from tutor.session.ui import PlainUI, make_console


def test_carriage_return_overwrites_from_the_line_start() -> None:
    assert as_shown("step 1/3\rstep 2/3\rstep 3/3\n") == "step 3/3\n"
    assert as_shown("downloading 100%\rdone\n") == "doneloading 100%\n"  # as a terminal does
    assert as_shown("a\rb") == "b"
    assert as_shown("abc\b\bX\n") == "aXc\n"
    assert as_shown("one\ntwo\r2\n") == "one\n2wo\n"


def test_pieces_fed_in_any_split_give_the_same_lines() -> None:
    text = "\r  0%|     |\r 50%|##   |\r100%|#####|\nnext line\n"
    whole = as_shown(text)
    for cut in range(len(text)):
        editor = LineEditor()
        got = editor.feed(text[:cut]) + editor.feed(text[cut:]) + editor.flush()
        assert got == whole == "100%|#####|\nnext line\n"


def test_plain_ui_to_a_pipe_writes_each_line_once_as_shown() -> None:
    out = io.StringIO()
    ui = PlainUI(make_console(out, width=80, plain=True), io.StringIO(""))
    for part in ("step 1/5 [#....]", "\rstep 2/5 [##...]", "\rstep 5/5 [#####]", "\n"):
        ui.write_output(part)
    assert out.getvalue() == "step 5/5 [#####]\n"


def test_transcript_keeps_the_last_drawing_of_a_progress_line() -> None:
    out = io.StringIO()
    recorder = Recorder(PlainUI(make_console(out, width=80, plain=True), io.StringIO("")))
    recorder.write_output("\rtraining  10%")
    recorder.write_output("\rtraining 100%")
    recorder.write_output("\nloss 0.25\n")
    text = recorder.text()
    assert "training 100%\nloss 0.25" in text
    assert "10%" not in text
