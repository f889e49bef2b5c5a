"""Batch grading (tutor.grade): rows, feedback ids, retries, formats, the report; and the CLI.

The sandbox side (a real folder of right, wrong, crashing, slow and hostile answers)
is tests/security/test_grade.py.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tutor import grade as grading
from tutor.course.lesson import Lesson, Step, Text
from tutor.judge.verdict import Check, Feedback, Verdict
from tutor.render.reports import grade_report
from tutor.sandbox.results import ErrorInfo, ReferenceRun

OK = ReferenceRun("ok", "", None, "snapshot:1-1")


def _run(outcome: str, etype: str = "", message: str = "") -> ReferenceRun:
    error = ErrorInfo(etype, message) if etype else None
    return ReferenceRun(outcome, "", error, None)


def _failed(*names: str, feedback: tuple[Feedback, ...] = ()) -> Verdict:
    return Verdict(False, tuple(Check(n, False, "a", "b") for n in names), feedback)


def test_a_pass_has_no_ids() -> None:
    row = grading.row_for("a.py", Verdict(True, (Check("x.values", True),)), OK, "", "en", 0.1)
    assert (row.passed, row.outcome, row.failing, row.feedback) == (True, "passed", (), ())


def test_lesson_and_detector_ids_are_kept_in_order() -> None:
    verdict = _failed(
        "x.shape",
        feedback=(Feedback("end-excluded", "m1"), Feedback("arange-end", "m2", "diagnosis")),
    )
    row = grading.row_for("a.py", verdict, OK, "", "en", 0.1)
    assert row.outcome == "failed"
    assert row.feedback == ("end-excluded", "arange-end")
    assert row.failing == ("x.shape",)


def test_an_explained_error_gives_the_explanations_id() -> None:
    run = _run(
        "error",
        "RuntimeError",
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
    )
    row = grading.row_for("a.py", _failed("error", "x.type"), run, "x = a @ b", "en", 0.1)
    assert row.outcome == "error"
    assert row.feedback == ("matmul-inner-size",)
    assert "mat1 and mat2" in row.error


def test_an_unexplained_error_is_error_other_in_both_languages() -> None:
    run = _run("error", "NameError", "name 'q' is not defined")
    for lang in ("en", "zh"):
        row = grading.row_for("a.py", _failed("error"), run, "", lang, 0.1)
        assert row.feedback == (grading.ERROR_OTHER,)
        assert row.messages == ((grading.ERROR_OTHER, "NameError: name 'q' is not defined"),)


def test_a_stopped_run_is_named_by_its_outcome() -> None:
    for outcome in grading.STOPPED:
        run = _run(outcome, "TimeoutError", "stopped")
        row = grading.row_for("a.py", _failed("error", "x.type"), run, "", "en", 3.0)
        assert (row.outcome, row.feedback) == (outcome, (outcome,))


def test_a_failure_nothing_names_gets_its_leading_check() -> None:
    row = grading.row_for("a.py", _failed("x.values", "calls"), OK, "", "en", 0.1)
    assert row.feedback == ("check-x.values",)


def test_an_expected_error_that_fails_otherwise_is_a_plain_failure() -> None:
    run = _run("error", "RuntimeError", "boom")
    verdict = Verdict(False, (Check("raises", True), Check("output", False)))
    row = grading.row_for("a.py", verdict, run, "", "en", 0.1)
    assert (row.outcome, row.feedback) == ("failed", ("check-output",))


def test_a_broken_reference_is_the_sandboxes_fault() -> None:
    row = grading.row_for("a.py", _failed("sandbox"), None, "", "en", 0.1)
    assert row.outcome == "sandbox"


def _step(kind: str = "code") -> Step:
    return Step("s", kind, Text("S"))


def test_folders_give_their_answers_sorted_hidden_ones_skipped(tmp_path: Path) -> None:
    (tmp_path / "b.py").write_text("b")
    (tmp_path / "a.py").write_text("a")
    (tmp_path / "notes.txt").write_text("n")
    (tmp_path / ".hidden.py").write_text("h")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.py").write_text("c")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.py").write_text("d")
    files, missing = grading.submissions([tmp_path, tmp_path / "a.py", "nowhere"], _step())
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.py", "b.py", "sub/c.py"]
    assert missing == ["nowhere"]
    quiz, _ = grading.submissions([tmp_path], _step("quiz"))
    assert [f.name for f in quiz] == ["notes.txt"]


@dataclass
class _FakeGrader:
    """Grades by a table; ``killed`` files die beside others and pass when alone."""

    outcomes: dict[str, str]
    step: Step = _step()
    sandbox: Any = None

    def __post_init__(self) -> None:
        self.alone: list[str] = []
        self.threads: set[str] = set()

    def prepare(self) -> None:
        pass

    def grade(self, path: Path) -> grading.Row:
        self.threads.add(threading.current_thread().name)
        outcome = self.outcomes[path.name]
        return grading.Row(str(path), outcome == "passed", outcome)

    def grade_alone(self, path: Path) -> grading.Row:
        self.alone.append(path.name)
        return grading.Row(str(path), True, "passed")


class _Prefork:
    def __init__(self) -> None:
        self.asked: list[int] = []

    def prefork(self, n: int) -> None:
        self.asked.append(n)


def test_victims_of_a_neighbour_are_graded_again_alone() -> None:
    names = {f"{i}.py": "passed" for i in range(6)}
    names["2.py"] = "killed"
    names["4.py"] = "sandbox"
    fake = _FakeGrader(names, sandbox=_Prefork())
    seen: list[str] = []
    rows = grading.grade(fake, [Path(n) for n in names], 3, lambda r: seen.append(r.file))  # type: ignore[arg-type]
    assert [r.file for r in rows] == list(names)  # in the order given
    assert all(r.passed for r in rows)
    assert fake.alone == ["2.py", "4.py"]
    assert sorted(seen) == sorted(names)  # each told once, the retried ones after their retry
    assert fake.sandbox.asked == [3]


def _rows() -> list[grading.Row]:
    return [
        grading.Row("a.py", True, "passed", seconds=0.1),
        grading.Row("b.py", False, "failed", ("x.shape",), ("arange-end",), 0.2),
        grading.Row("c.py", False, "error", ("error", "x.type"), ("error-other",), 0.3, "E: m"),
        grading.Row("d.py", False, "failed", ("x.shape",), ("arange-end", "end-excluded"), 0.1),
    ]


def test_mistakes_and_checks_are_counted_most_common_first() -> None:
    rows = _rows()
    assert grading.mistakes(rows) == [("arange-end", 2), ("end-excluded", 1), ("error-other", 1)]
    assert grading.failing_checks(rows) == [("x.shape", 2), ("error", 1), ("x.type", 1)]


def test_csv_has_one_line_per_submission() -> None:
    found = list(csv.DictReader(io.StringIO(grading.to_csv(_rows()))))
    assert [r["file"] for r in found] == ["a.py", "b.py", "c.py", "d.py"]
    assert found[3]["feedback_ids"] == "arange-end end-excluded"
    assert found[2]["failing_checks"] == "error x.type" and found[2]["error"] == "E: m"
    assert found[0]["passed"] == "true" and found[1]["passed"] == "false"


def _summary() -> dict[str, Any]:
    lesson = Lesson("les", 1, Text("L"), (_step(),))
    return grading.to_json(_rows(), lesson, lesson.steps[0], 1.5, 2)


def test_json_report() -> None:
    data = _summary()
    assert (data["total"], data["passed"], data["jobs"]) == (4, 1, 2)
    assert data["submissions"][1]["feedback_ids"] == ["arange-end"]
    assert data["mistakes"][0] == {"id": "arange-end", "count": 2}
    assert data["outcomes"] == {"failed": 2, "error": 1, "passed": 1}
    json.dumps(data)


def _render(renderable: Any, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_report_reads_in_both_languages_at_projector_width() -> None:
    for lang, words in (
        ("en", ("Most common mistakes", "1 of 4 passed")),
        ("zh", ("最常见的错误",)),
    ):
        text = _render(grade_report(_rows(), _summary(), lang), 64)
        for word in words:
            assert word in text
        assert "arange-end" in text and "end-excluded" in text  # ids whole, never cut
        assert all(len(line) <= 64 for line in text.splitlines())


# ---------------------------------------------------------------- the command line


def answer(folder: Path, text: str, name: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture()
def tutor(tutor_cli: Any) -> Any:
    """``python -m tutor ...`` in English (no locale)."""
    return functools.partial(tutor_cli, env=tutor_cli.env(keep_locale=False), timeout=120)


def test_grade_quiz_answers_as_csv(tmp_path: Path, tutor: Any) -> None:
    folder = tmp_path / "answers"
    folder.mkdir()
    answer(folder, "1", "alice.txt")
    answer(folder, "2", "bob.txt")
    right = tutor("check", "creating-tensors", "guess-dtype", str(folder / "alice.txt"))
    result = tutor("grade", "creating-tensors", "guess-dtype", str(folder), "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [Path(r["file"]).name for r in rows] == ["alice.txt", "bob.txt"]
    assert [r["passed"] == "true" for r in rows] == [right.returncode == 0, right.returncode != 0]
    assert all(r["feedback_ids"] for r in rows if r["passed"] == "false")
    assert result.returncode == 1


def test_grade_says_what_it_could_not_find(tmp_path: Path, tutor: Any) -> None:
    result = tutor("grade", "tensros", "1", str(tmp_path))
    assert (
        result.returncode == 2 and "`tensors`" in result.stderr and "Traceback" not in result.stderr
    )
    empty = tutor("grade", "creating-tensors", "evens", str(tmp_path))
    assert empty.returncode == 2 and "No submissions" in empty.stderr
    missing = tutor("grade", "creating-tensors", "evens", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "nope" in missing.stderr
    reading = tutor("grade", "tensors", "1", str(tmp_path))
    assert reading.returncode == 2 and "nothing to check" in reading.stderr
