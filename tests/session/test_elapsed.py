"""The elapsed-time line of a long run, driven by a fake clock (no timing in tests)."""

from __future__ import annotations

from tutor.session.elapsed import Elapsed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_appears_after_a_second_updates_and_clears():
    clock, drawn, out = Clock(), [], []
    e = Elapsed(drawn.append, "en", clock=clock)
    e.tick()
    clock.now += 0.5
    e.tick()
    assert drawn == []  # under a second: nothing at all
    clock.now += 0.7
    e.tick()
    e.tick()  # the same second: not redrawn (no flicker)
    clock.now += 1.0
    e.tick()
    assert drawn == ["running… 1 s (Ctrl-C stops it)", "running… 2 s (Ctrl-C stops it)"]
    e.output("epoch 1\n", out.append)  # output clears the line first
    assert drawn[-1] is None and out == ["epoch 1\n"]
    clock.now += 1.0
    e.tick()
    assert drawn[-1] == "running… 3 s (Ctrl-C stops it)"
    e.output("no newline yet", out.append)
    clock.now += 1.0
    e.tick()  # an unfinished output line is never drawn over
    assert drawn[-1] is None
    e.stop()
    assert drawn[-1] is None


def test_chinese_line():
    clock, drawn = Clock(), []
    e = Elapsed(drawn.append, "zh", clock=clock)
    clock.now += 2.2
    e.tick()
    assert drawn == ["运行中…… 2 秒（按 Ctrl-C 停止）"]


def test_a_plain_ui_draws_nothing(tmp_path):
    from tutor.session.elapsed import writing
    from tutor.session.ui import ScriptUI

    ui = ScriptUI([])
    seen = []
    with writing(ui, "en", seen.append) as write:
        write("hello\n")
    assert seen == ["hello\n"] and not hasattr(ui, "progress")
