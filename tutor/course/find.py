"""Find a lesson or a step by what a person typed; a near miss gets suggestions, never a guess.

A lesson is named by its id (``tensors``), its file's name (``03-tensors``), its
number (``3``, ``03``, ``7b``) or its whole title in any language; a step by its
id or its 1-based number. Anything else is a ``Miss``: what was asked and the
closest names (``tensros`` -> ``tensors``), for a "did you mean". A close match is
only ever suggested: a workshop of 30 people copying a command from the board must
not land 30 people somewhere else without a word.

UI side, no torch.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.course.lesson import Lesson, lesson_number
from tutor.i18n import t


@dataclass(frozen=True)
class Miss:
    """A lesson or step that was asked for and not found, with the closest real names."""

    kind: str  # "lesson" or "step"
    asked: str
    close: tuple[str, ...] = ()
    lesson: str = ""  # the lesson a missing step was looked for in
    steps: tuple[str, ...] = ()  # that lesson's step ids

    def message(self, lang: str, command: str = "torch-tutor lessons") -> str:
        """The miss in words: what is unknown, "did you mean", and where to look."""
        if self.kind == "lesson":
            text = t("find_no_lesson", lang, name=self.asked, command=command)
        else:
            text = t(
                "find_no_step",
                lang,
                lesson=self.lesson,
                step=self.asked,
                count=len(self.steps),
                steps=", ".join(self.steps),
            )
        if self.close:
            names = (" " if lang == "en" else "、").join(f"`{c}`" for c in self.close)
            text += " " + t("find_did_you_mean", lang, names=names)
        return text


def lesson_index(lessons: Sequence[Lesson], text: str) -> int | None:
    """The lesson ``text`` names exactly (id, file name, number or title), or None."""
    want = text.strip().lower()
    if not want:
        return None
    for i, lesson in enumerate(lessons):
        stem = Path(lesson.path or "").stem.lower()
        number = lesson_number(lesson, i)
        if want in (lesson.id, stem) or (want.lstrip("0") or "0") == number:
            return i
    for i, lesson in enumerate(lessons):
        if want in (lesson.title.en.lower(), lesson.title.zh.lower()):
            return i
    return None


def step_index(lesson: Lesson, text: str) -> int | None:
    """The step ``text`` names exactly (id or 1-based number), or None."""
    found = lesson.step(text.strip())
    return None if found is None else lesson.steps.index(found)


def close_lessons(lessons: Sequence[Lesson], text: str, n: int = 3) -> tuple[str, ...]:
    """Ids of the lessons whose id, file name or title is close to ``text``, closest first."""
    names: dict[str, str] = {}
    for lesson in lessons:
        for name in (lesson.id, Path(lesson.path or "").stem, lesson.title.en, lesson.title.zh):
            if name:
                names.setdefault(name.lower(), lesson.id)
    close = difflib.get_close_matches(text.strip().lower(), list(names), n=n * 3, cutoff=0.6)
    return tuple(dict.fromkeys(names[c] for c in close))[:n]


def close_steps(lesson: Lesson, text: str, n: int = 3) -> tuple[str, ...]:
    """Ids of the lesson's steps close to ``text``, closest first."""
    ids = [s.id for s in lesson.steps]
    return tuple(difflib.get_close_matches(text.strip().lower(), ids, n=n, cutoff=0.6))


def locate(
    lessons: Sequence[Lesson], lesson_text: str, step_text: str | None = None
) -> tuple[int, int] | Miss:
    """(lesson index, step index) for what was typed, or the ``Miss``; no step means the
    lesson's first."""
    li = lesson_index(lessons, lesson_text)
    if li is None:
        return Miss("lesson", lesson_text.strip(), close_lessons(lessons, lesson_text))
    lesson = lessons[li]
    if step_text is None or not step_text.strip():
        return li, 0
    si = step_index(lesson, step_text)
    if si is None:
        return Miss(
            "step",
            step_text.strip(),
            close_steps(lesson, step_text),
            lesson.id,
            tuple(s.id for s in lesson.steps),
        )
    return li, si


def find(lessons: Sequence[Lesson], lesson_text: str, step_text: str) -> tuple[Lesson, int] | Miss:
    """The lesson and its step index, or the ``Miss`` (for ``check``, ``grade``, ``watch``)."""
    found = locate(lessons, lesson_text, step_text)
    if isinstance(found, Miss):
        return found
    return lessons[found[0]], found[1]


__all__ = [
    "Miss",
    "close_lessons",
    "close_steps",
    "find",
    "lesson_index",
    "lesson_number",
    "locate",
    "step_index",
]
