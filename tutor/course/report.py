"""Load the course for a command and name, on stderr, every lesson file left out and why.

Every command that loads lessons (the interactive tutor, ``lessons``, ``check``,
``watch``) calls ``load_reporting`` once, so a broken ``--lessons`` file is never
dropped in silence: its ``path:line[:column]: message`` errors are printed once
per run, then a line in the user's language saying it is left out. (``validate``
lists every problem itself.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from tutor.course._loader import left_out, load_course
from tutor.course.lesson import LeftOut, Lesson, LessonError
from tutor.i18n import t


def load_reporting(
    paths: Iterable[str | Path], lang: str, stream: TextIO | None = None
) -> tuple[list[Lesson], list[LessonError], list[LeftOut]]:
    """``load_course(paths)``, with the lesson files left out named on ``stream`` (stderr)."""
    lessons, errors = load_course(paths)
    missing = left_out(lessons, errors)
    out = sys.stderr if stream is None else stream
    for gone in missing:
        for error in gone.errors:
            print(error, file=out)
        print(t("left_out", lang, path=gone.path), file=out)
    if missing:
        out.flush()
    return lessons, errors, missing


def why_unknown(missing: list[LeftOut], lesson_id: str, lang: str) -> str | None:
    """Why ``lesson_id`` is unknown when it names a lesson file that was left out, else None."""
    for gone in missing:
        if lesson_id in (gone.lesson_id, Path(gone.path).stem) and gone.errors:
            return t("left_out_unknown", lang, lesson=lesson_id, error=gone.errors[0])
    return None


__all__ = ["load_reporting", "why_unknown"]
