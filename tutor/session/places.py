"""Where a session goes: where it starts, what comes next and before, on a route or not.

Pure functions of the course (and the route, the stored position, step statuses), so
the conversation only asks and shows. Positions are (lesson index, step index).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tutor.course.find import Miss, locate
from tutor.course.lesson import Lesson
from tutor.course.route import Route

Place = tuple[int, int]
_DONE = ("passed", "skipped")


def start_place(
    lessons: Sequence[Lesson],
    position: tuple[str, str] | None,
    lesson_id: str | None,
    step_id: str | None,
) -> Place | Miss:
    """Where a session begins: the asked lesson and step (``--step`` alone: in the lesson where
    the learner is), else the stored position, else the start; a ``Miss`` for what was asked
    and does not exist (never a near match taken in its place)."""
    if lesson_id is None and step_id is None:
        found = locate(lessons, *position) if position is not None else (0, 0)
        return (0, 0) if isinstance(found, Miss) else found  # a stored lesson gone: the start
    if lesson_id is None:
        lesson_id = position[0] if position is not None else lessons[0].id
        if isinstance(locate(lessons, lesson_id), Miss):
            lesson_id = lessons[0].id
    return locate(lessons, lesson_id, step_id)


def route_start(
    lessons: Sequence[Lesson],
    route: Route,
    position: tuple[str, str] | None,
    status: Callable[[str, str], str],
) -> Place:
    """Where a route resumes: the stored position when the route goes there, else its first
    stop not passed or skipped (``status(lesson id, step id)``), else its first stop."""
    if position is not None:
        found = locate(lessons, *position)
        if not isinstance(found, Miss) and route.index(*found) is not None:
            return found
    for stop in route.stops:
        lesson = lessons[stop.lesson]
        if status(lesson.id, lesson.steps[stop.step].id) not in _DONE:
            return stop.lesson, stop.step
    return route.stops[0].lesson, route.stops[0].step


def on_route(route: Route | None, li: int, si: int) -> tuple[int, int] | None:
    """(1-based stop, stops) when a position is on the route, else None."""
    index = route.index(li, si) if route is not None else None
    return None if route is None or index is None else (index + 1, len(route.stops))


def route_next(route: Route, li: int, si: int) -> Place | None:
    """The route's next stop (from a step off the route: the first stop after it in the
    course), or None after its last."""
    index = route.index(li, si)
    following = index + 1 if index is not None else route.after(li, si)
    if following is None or following >= len(route.stops):
        return None
    return route.stops[following].lesson, route.stops[following].step


def route_previous(route: Route, li: int, si: int) -> Place | None:
    """The route's previous stop, or None at its first (or off the route)."""
    index = route.index(li, si)
    if not index:
        return None
    return route.stops[index - 1].lesson, route.stops[index - 1].step


def next_lesson(lessons: Sequence[Lesson], li: int) -> int | None:
    """The next lesson from the same folder as lesson ``li`` (the built-in course, or the
    folder a custom lesson came from), or None: a custom lesson does not run on into an
    unrelated built-in one."""
    folder = Path(lessons[li].path or "").parent
    for i in range(li + 1, len(lessons)):
        if Path(lessons[i].path or "").parent == folder:
            return i
    return None


__all__ = [
    "Place",
    "next_lesson",
    "on_route",
    "route_next",
    "route_previous",
    "route_start",
    "start_place",
]
