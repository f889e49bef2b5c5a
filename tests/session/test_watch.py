"""Watch mode's file watching, without a sandbox."""

from __future__ import annotations

import threading
from pathlib import Path

from tutor.course import load_lesson
from tutor.session.watch import Watcher

LESSON = Path(__file__).resolve().parents[1] / "watch_lessons" / "watch-demo.toml"


def test_the_file_is_looked_at_again_without_an_event(tmp_path: Path) -> None:
    """A save made before the file-system watch was in place sends no event; the quiet
    looks still come, so it is checked all the same."""
    lesson, _ = load_lesson(LESSON)
    assert lesson is not None
    answer = tmp_path / "answer.py"
    answer.write_text("x = torch.zeros(2, 3)\n", encoding="utf-8")  # saved before watching
    stop = threading.Event()
    changes = Watcher(None, lesson, "zeros", answer).changes(stop)
    try:
        next(changes)  # nothing touches the file from here on
    finally:
        stop.set()
        changes.close()


def test_a_long_verdict_is_shown_whole_in_watch(tmp_path: Path) -> None:
    """Watch has no `/verdict` to ask for the folded rows (the newcomer re-walk saw it
    offered there): every row is shown, and no command that watch lacks is named."""
    import io

    from rich.console import Console

    from tutor.judge.verdict import Check, Verdict
    from tutor.session.watch import Outcome, _show_outcome

    lesson, _ = load_lesson(LESSON)
    assert lesson is not None
    watcher = Watcher(None, lesson, "zeros", tmp_path / "answer.py")
    for passed in (True, False):
        checks = tuple(Check(f"x{i}.shape", True, "(2, 3)", "(2, 3)") for i in range(12))
        checks += () if passed else (Check("y.dtype", False, "torch.float32", "torch.int64"),)
        verdict = Verdict(passed, checks)
        out = io.StringIO()
        console = Console(file=out, width=100, color_system=None)
        _show_outcome(console, watcher, Outcome(lesson.steps[1], "", verdict, 0.1), "en")
        said = out.getvalue()
        assert "/verdict" not in said
        assert all(f"x{i}.shape" in said for i in range(12)), said
