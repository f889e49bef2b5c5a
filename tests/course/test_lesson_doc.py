"""docs/lesson-format.md is true: its worked example, copied as is, validates and checks."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tutor.course import load_lesson

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "lesson-format.md").read_text(encoding="utf-8")


def worked_example() -> str:
    section = DOC.split("## A worked example", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def lesson_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("doc-lessons")
    (folder / "99-my-lesson.toml").write_text(worked_example(), encoding="utf-8")
    return folder


def test_every_toml_snippet_in_the_doc_parses():
    snippets = re.findall(r"```toml\n(.*?)```", DOC, re.S)
    assert len(snippets) >= 10
    for snippet in snippets:
        tomllib.loads(snippet)


def test_worked_example_loads_cleanly(lesson_dir):
    lesson, errors = load_lesson(lesson_dir / "99-my-lesson.toml")
    assert errors == [] and lesson is not None
    assert [s.kind for s in lesson.steps] == ["read", "code", "quiz", "predict"]


def test_worked_example_validates(lesson_dir, tutor_cli):
    result = tutor_cli("validate", str(lesson_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 lesson, 4 steps: all valid." in result.stdout


def test_worked_example_checks_answers(lesson_dir, tmp_path, tutor_cli):
    right = tmp_path / "right.py"
    right.write_text("c = torch.arange(1, n + 1)\n", encoding="utf-8")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("c = torch.arange(1, n)\n", encoding="utf-8")
    hard = tmp_path / "hard.py"
    hard.write_text("c = torch.arange(1, 6)\n", encoding="utf-8")
    base = ("--lessons", str(lesson_dir), "check", "my-first-lesson", "count")
    assert tutor_cli(*base, str(right)).returncode == 0
    result = tutor_cli(*base, str(wrong), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert next(c for c in data["checks"] if not c["passed"])["name"] == "c.shape"
    assert "stops-early" in [f["id"] for f in data["feedback"]]
    result = tutor_cli(*base, str(hard), "--json")
    assert result.returncode == 1  # right for n = 5, wrong on the variant n = 8
    assert json.loads(result.stdout)["checks"][0]["name"] == "variant"


def test_broken_copy_of_the_example_fails_validation(lesson_dir, tmp_path, tutor_cli):
    text = worked_example().replace(
        'code = "c = torch.arange(1, n)"', 'code = "c = torch.arange(1, n + 1)"'
    )
    (tmp_path / "broken.toml").write_text(text, encoding="utf-8")
    result = tutor_cli("validate", str(tmp_path / "broken.toml"))
    assert result.returncode == 1
    line = text[: text.index('code = "c = torch.arange(1, n + 1)"')].count("\n")
    assert f"broken.toml:{line}: step `count`: the trap" in result.stdout
