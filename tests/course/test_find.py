"""Finding a lesson or step by what was typed (tutor.course.find): exact names only, near misses
suggested, never taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.course import load_course
from tutor.course.files import course_dirs
from tutor.course.find import Miss, find, lesson_index, locate
from tutor.progress import Store
from tutor.session.conversation import Session, start_place
from tutor.session.ui import ScriptUI


@pytest.fixture(scope="module")
def lessons() -> list:
    found, _ = load_course(course_dirs())
    return found


def test_a_lesson_by_id_file_name_number_and_title(lessons: list) -> None:
    tensors = next(i for i, les in enumerate(lessons) if les.id == "tensors")
    for name in ("tensors", "03-tensors", "3", "03", lessons[tensors].title.en.upper()):
        assert lesson_index(lessons, name) == tensors, name
    assert lesson_index(lessons, lessons[tensors].title.zh) == tensors
    shapes = Path(next(les.path for les in lessons if les.id == "shapes")).stem
    assert lesson_index(lessons, "7b") == lesson_index(lessons, shapes)


@pytest.mark.parametrize(
    ("lesson", "step", "kind", "close"),
    [
        ("tensros", None, "lesson", ("tensors",)),
        ("nosuch", None, "lesson", ()),
        ("tensors", "99", "step", ()),
        ("creating-tensors", "evns", "step", ("evens",)),
    ],
)
def test_a_miss_names_what_was_asked_and_the_closest_names(
    lessons: list, lesson: str, step: str | None, kind: str, close: tuple[str, ...]
) -> None:
    found = locate(lessons, lesson, step)
    assert isinstance(found, Miss)
    assert (found.kind, found.close[: len(close)]) == (kind, close)
    for lang in ("en", "zh"):
        text = found.message(lang)
        assert f"`{(step or lesson)}`" in text
        if close:
            assert f"`{close[0]}`" in text and ("Did you mean" in text or "是不是" in text)
    if kind == "step":
        assert "scalar" in locate(lessons, "tensors", "nosuch").message("en")  # type: ignore[union-attr]


def test_find_gives_the_lesson_and_the_step(lessons: list) -> None:
    lesson, index = find(lessons, "creating-tensors", "evens")  # type: ignore[misc]
    assert lesson.steps[index].id == "evens"
    assert find(lessons, "creating-tensors", "1") == (lesson, 0)


def test_start_place_follows_the_stored_position_for_a_step_alone(lessons: list) -> None:
    shapes = lesson_index(lessons, "shapes")
    assert start_place(lessons, ("shapes", "broadcast-fix"), None, "2") == (shapes, 1)
    assert start_place(lessons, None, None, "2") == (0, 1)
    assert start_place(lessons, ("gone", "x"), None, None) == (0, 0)  # a lesson that left
    assert isinstance(start_place(lessons, ("shapes", "x"), None, "nosuch"), Miss)


def test_a_session_asked_for_a_missing_lesson_stops_before_it_stores_anything(
    lessons: list,
) -> None:
    store = Store(None)
    ui = ScriptUI(["/quit"])
    code = Session(lessons, None, store, ui, "en").run("tensros", None)
    assert code == 2
    assert "Did you mean tensors?" in ui.transcript() and "unchanged" in ui.transcript()
    assert store.position() is None and store.records() == []
