"""Drive a whole tutor session from a list of inputs: for tests and for lesson authors.

Like click's ``CliRunner``: ``run_session_script(lesson, inputs)`` returns the
transcript a learner typing those inputs would see, in plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tutor.progress import Store
from tutor.session.conversation import Session
from tutor.session.ui import ScriptUI

if TYPE_CHECKING:
    from tutor.course.lesson import Lesson
    from tutor.sandbox import Sandbox


def run_session_script(
    lesson: Lesson | list[Lesson] | str | Path,
    inputs: list[str],
    lang: str = "en",
    *,
    sandbox: Sandbox | None = None,
    width: int = 80,
    step: str | None = None,
) -> str:
    """Run a whole session on ``inputs`` and return the transcript (for tests and lesson authors).

    ``lesson`` is a Lesson, a lesson file, or a list of lessons; the sandbox is
    started (and closed) here unless one is given. Nothing is saved.
    """
    from tutor.course import load_lesson

    if isinstance(lesson, (str, Path)):
        loaded, errors = load_lesson(lesson)
        if loaded is None:
            raise ValueError("; ".join(str(e) for e in errors))
        lesson = loaded
    lessons = list(lesson) if isinstance(lesson, (list, tuple)) else [lesson]
    own = sandbox is None
    if sandbox is None:
        from tutor.sandbox import Sandbox

        sandbox = Sandbox(lang=lang)
        sandbox.start()
    ui = ScriptUI(inputs, width=width)
    store = Store(None)
    try:
        Session(lessons, sandbox, store, ui, lang, save=False).run(lessons[0].id, step)
    finally:
        store.close()
        if own:
            sandbox.close()
    return ui.transcript()


__all__ = ["run_session_script"]
