"""The course: lesson model, TOML loader (``path:line`` errors), where the lesson files live.
May import tutor.codeinfo and tutor.i18n only: no torch, no rich; every other stage imports it.
"""

from __future__ import annotations

from tutor.course._loader import find_step, left_out, lesson_files, load_course, load_lesson
from tutor.course.lesson import (
    Expect,
    FeedbackRule,
    LeftOut,
    Lesson,
    LessonError,
    Step,
    Text,
    Trap,
    Variant,
    lesson_number,
)

__all__ = [
    "Expect",
    "FeedbackRule",
    "LeftOut",
    "Lesson",
    "LessonError",
    "Step",
    "Text",
    "Trap",
    "Variant",
    "find_step",
    "left_out",
    "lesson_files",
    "lesson_number",
    "load_course",
    "load_lesson",
]
