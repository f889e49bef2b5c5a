"""Every known wrong answer and every solution of the course counts as an attempt at the task
(so its feedback is shown at the prompt), while reading the step's names is exploration (C4 of
the newcomer walk: trying things out should not earn a red table)."""

from __future__ import annotations

from pathlib import Path

from tutor import pipeline
from tutor.course import load_course

LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def test_every_trap_and_solution_is_an_attempt() -> None:
    lessons = load_course([LESSONS])
    lessons = lessons[0] if isinstance(lessons, tuple) else lessons
    missed, seen = [], 0
    for lesson in lessons:
        for step in lesson.steps:
            if step.kind != "code":
                continue
            codes = [step.solution] + [t.code for t in step.traps if t.code]
            for code in codes:
                seen += 1
                if not pipeline.is_attempt(step, code):
                    missed.append(f"{lesson.id}.{step.id}: {code!r}")
    assert seen > 250 and not missed, missed


def test_reading_a_checked_name_is_exploration_in_every_code_step() -> None:
    lessons = load_course([LESSONS])
    lessons = lessons[0] if isinstance(lessons, tuple) else lessons
    for lesson in lessons:
        for step in lesson.steps:
            printed = any(e.output is not None or e.output_contains for e in step.expects)
            if step.kind != "code" or printed:
                continue
            for name in step.watch_names:
                for code in (f"print({name})", f"{name}.shape", f"type({name})"):
                    assert not pipeline.is_attempt(step, code), (lesson.id, step.id, code)
