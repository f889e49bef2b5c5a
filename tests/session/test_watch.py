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
