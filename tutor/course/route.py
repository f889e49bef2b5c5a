"""A workshop route: the steps a class follows (``--path FILE``), in order, with time estimates.

A route file is plain text, one stop per line, ``#`` starts a comment::

    # PyTorch in two hours
    tensors.scalar            5     # LESSON.STEP, then minutes (optional)
    creating-tensors                # a whole lesson: all its steps
    shapes.broadcast-fix      10

Lessons and steps are named as everywhere (id, file name or number; step id or
number). A stop without minutes takes the lesson's or step's own estimate
(``tutor.course.lesson.step_minutes``). ``load_route`` reads a file against the
course; every problem is ``path:line: message``, a near miss with "did you mean".

UI side, no torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.course.find import Miss, locate
from tutor.course.lesson import Lesson, LessonError, step_minutes


@dataclass(frozen=True)
class Stop:
    """One step of the route: where it is in the course, and its time."""

    lesson: int  # index into the course's lessons
    step: int  # index into that lesson's steps
    minutes: float
    rough: bool  # a guess from the step's kind, not a figure from the route or the lesson
    line: int = 0


@dataclass(frozen=True)
class Route:
    """The stops in order and where the route came from."""

    stops: tuple[Stop, ...]
    path: str = ""

    @property
    def minutes(self) -> tuple[int, bool]:
        """The whole route's time in minutes, and whether any part of it is a guess."""
        total = sum(s.minutes for s in self.stops)
        return round(total), any(s.rough for s in self.stops)

    def index(self, lesson: int, step: int) -> int | None:
        """The place of a course position on the route, or None when the route skips it."""
        for i, stop in enumerate(self.stops):
            if (stop.lesson, stop.step) == (lesson, step):
                return i
        return None

    def after(self, lesson: int, step: int) -> int | None:
        """The place of the first stop that comes after a course position, in course order."""
        for i, stop in enumerate(self.stops):
            if (stop.lesson, stop.step) > (lesson, step):
                return i
        return None


_LINE = re.compile(r"^(?P<name>\S+)(?:\s+(?P<minutes>\S+))?$")
_MINUTES = re.compile(r"^(\d+(?:\.\d+)?)(?:m|min|mins|minutes)?$")


def load_route(
    path: str | Path, lessons: Sequence[Lesson], lang: str = "en"
) -> tuple[Route | None, list[LessonError]]:
    """Read a route file against ``lessons``: the route (None when it has problems) and the
    problems, each at its line."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [LessonError(where, 1, f"cannot read the route: {exc}")]
    stops: list[Stop] = []
    errors: list[LessonError] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        found = _LINE.match(line)
        if found is None:
            errors.append(
                LessonError(where, number, "expected `LESSON[.STEP] [MINUTES]`, found: " + line)
            )
            continue
        name, minutes_text = found.group("name"), found.group("minutes")
        minutes = None
        if minutes_text is not None:
            figure = _MINUTES.match(minutes_text.lower())
            if figure is None or float(figure.group(1)) <= 0:
                errors.append(
                    LessonError(where, number, f"`{minutes_text}` is not a number of minutes")
                )
                continue
            minutes = float(figure.group(1))
        lesson_name, _, step_name = name.partition(".")
        place = locate(lessons, lesson_name, step_name or None)
        if isinstance(place, Miss):
            errors.append(LessonError(where, number, place.message(lang)))
            continue
        li, si = place
        steps = [si] if step_name else list(range(len(lessons[li].steps)))
        stops += _stops(lessons[li], li, steps, minutes, number)
    if not stops and not errors:
        errors.append(LessonError(where, 1, "the route names no step"))
    return (None if errors else Route(tuple(stops), where)), errors


def _stops(
    lesson: Lesson, li: int, steps: list[int], minutes: float | None, line: int
) -> list[Stop]:
    """Stops for steps of one lesson; ``minutes`` given for them all is shared out by their
    own estimates."""
    own = [step_minutes(lesson.steps[si]) for si in steps]
    if minutes is None and len(steps) > 1 and lesson.minutes is not None:
        minutes = lesson.minutes
    if minutes is None:
        return [Stop(li, si, m, rough, line) for si, (m, rough) in zip(steps, own, strict=True)]
    total = sum(m for m, _ in own) or 1.0
    return [
        Stop(li, si, minutes * m / total, False, line)
        for si, (m, _) in zip(steps, own, strict=True)
    ]


__all__ = ["Route", "Stop", "load_route"]
