"""Finding the built-in course: the checkout's lessons/ folder, plus --lessons folders."""

from __future__ import annotations

from pathlib import Path

from tutor.course import load_course
from tutor.course.files import builtin_dir, course_dirs

ROOT = Path(__file__).resolve().parents[2]


def test_builtin_dir_in_a_checkout_is_lessons():
    assert builtin_dir() == ROOT / "lessons"
    assert (builtin_dir() / "04-creating-tensors.toml").is_file()


def test_course_dirs_adds_extra_folders(tmp_path):
    assert course_dirs([str(tmp_path)]) == [builtin_dir(), tmp_path]
    assert course_dirs([str(tmp_path)], include_builtin=False) == [tmp_path]


def test_extra_folder_lessons_join_the_course(tmp_path):
    source = (ROOT / "lessons" / "04-creating-tensors.toml").read_text(encoding="utf-8")
    (tmp_path / "mine.toml").write_text(
        source.replace('id = "creating-tensors"', 'id = "my-copy"', 1), encoding="utf-8"
    )
    (tmp_path / "glossary.toml").write_text("[[terms]]\nen = 'x'\n", encoding="utf-8")
    lessons, errors = load_course(course_dirs([str(tmp_path)]))
    assert errors == []
    ids = [lesson.id for lesson in lessons]
    assert "my-copy" in ids and "creating-tensors" in ids
    # sorted by section: the copy sits next to the original
    assert abs(ids.index("my-copy") - ids.index("creating-tensors")) == 1
