"""Workshop routes (tutor.course.route): the file, its times, its problems at their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.course import load_course
from tutor.course.files import course_dirs
from tutor.course.find import lesson_index
from tutor.course.lesson import lesson_minutes, step_minutes
from tutor.course.route import load_route


@pytest.fixture(scope="module")
def lessons() -> list:
    found, _ = load_course(course_dirs())
    return found


def _route(tmp_path: Path, text: str, lessons: list, lang: str = "en"):  # type: ignore[no-untyped-def]
    path = tmp_path / "route.txt"
    path.write_text(text, encoding="utf-8")
    return load_route(path, lessons, lang)


def test_stops_in_order_with_their_minutes(tmp_path: Path, lessons: list) -> None:
    route, errors = _route(
        tmp_path,
        "# morning\ntensors.scalar 5\n\n3.2   # by number\nshapes  20min\n",
        lessons,
    )
    assert errors == [] and route is not None
    tensors, shapes = lesson_index(lessons, "tensors"), lesson_index(lessons, "shapes")
    assert [(s.lesson, s.step) for s in route.stops[:2]] == [(tensors, 1), (tensors, 1)]
    assert route.stops[0].minutes == 5 and not route.stops[0].rough
    assert route.stops[1].minutes == step_minutes(lessons[tensors].steps[1])[0]
    whole = [s for s in route.stops if s.lesson == shapes]
    assert len(whole) == len(lessons[shapes].steps)
    assert sum(s.minutes for s in whole) == pytest.approx(20)  # shared out by their kinds
    assert route.minutes[0] == round(5 + route.stops[1].minutes + 20)
    assert route.index(shapes, 2) == 4 and route.index(0, 0) is None
    assert route.after(tensors, 5) == 2  # the first stop after an off-route step


def test_problems_are_told_at_their_lines(tmp_path: Path, lessons: list) -> None:
    route, errors = _route(
        tmp_path, "tensros.scalar\ntensors.nosuch\ntensors soon\na b c\n", lessons
    )
    assert route is None
    lines = {e.line: e.message for e in errors}
    assert "Did you mean `tensors`" in lines[1]
    assert "no step `nosuch`" in lines[2]
    assert "not a number of minutes" in lines[3]
    assert "LESSON[.STEP]" in lines[4]
    assert str(errors[0]).startswith(f"{tmp_path / 'route.txt'}:1: ")
    zh = _route(tmp_path, "tensros\n", lessons, "zh")[1]
    assert "你是不是想输入 `tensors`" in zh[0].message


def test_an_empty_or_missing_route_is_a_problem(tmp_path: Path, lessons: list) -> None:
    assert "names no step" in _route(tmp_path, "# nothing\n", lessons)[1][0].message
    assert load_route(tmp_path / "missing.txt", lessons)[1][0].message.startswith("cannot read")


def test_lesson_minutes_are_the_authors_or_a_rough_guess(lessons: list) -> None:
    for lesson in lessons:
        minutes, rough = lesson_minutes(lesson)
        assert minutes >= 5 and rough == (lesson.minutes is None)


LESSON = """
id = "timed"
section = 9
title.en = "Timed"
title.zh = "计时"
minutes = {lesson}

[[steps]]
id = "one"
kind = "read"
title.en = "One"
title.zh = "一"
text.en = "Read."
text.zh = "读。"
minutes = {step}
"""


def test_the_loader_reads_minutes_and_refuses_nonsense(tmp_path: Path) -> None:
    from tutor.course import load_lesson

    path = tmp_path / "timed.toml"
    path.write_text(LESSON.format(lesson=12, step=2.5), encoding="utf-8")
    lesson, errors = load_lesson(path)
    assert errors == [] and lesson is not None
    assert (lesson.minutes, lesson.steps[0].minutes) == (12, 2.5)
    assert lesson_minutes(lesson) == (12, False)
    # The first start's course map shows the same figure as /lessons and `lessons`.
    from tutor.session import welcome

    assert welcome.minutes(lesson) == 12
    path.write_text(LESSON.format(lesson=0, step='"soon"'), encoding="utf-8")
    lesson, errors = load_lesson(path)
    assert lesson is None
    messages = " ".join(e.message for e in errors)
    assert "more than 0" in messages and "number" in messages
