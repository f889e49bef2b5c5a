"""Prove a course: every reference passes, every trap fails as promised, the set-up alone fails.

``validate_course(paths, sandbox)`` returns every problem as a LessonError
(``path:line: message``), schema and translation problems included. One
sandbox serves the whole run, so validating the course takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tutor import pipeline
from tutor.course import load_course
from tutor.course._lines import LineMap
from tutor.course.lesson import Lesson, LessonError, Step, Trap, Variant
from tutor.judge.verdict import Verdict

if TYPE_CHECKING:
    from tutor.sandbox import Sandbox


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _describe(verdict: Verdict) -> str:
    """The first failing check in a few words, for an author, on one line.

    A problem is one ``path:line: message`` line, as a compiler prints it, so a
    multi-line tensor repr is joined up rather than run into the next problem.
    """
    first = verdict.first_failure
    if first is None:
        return "passed"
    parts = [first.name]
    if first.expected:
        parts.append(f"expected {_one_line(first.expected):.120}, got {_one_line(first.got):.120}")
    elif first.got and first.got not in first.message:
        parts.append(f"got {_one_line(first.got):.120}")
    if first.message:
        parts.append(_one_line(first.message))
    return ": ".join(parts)


class _Validator:
    """Runs the answers of one lesson and records what does not hold."""

    def __init__(self, sandbox: Sandbox, lesson: Lesson) -> None:
        self.sandbox = sandbox
        self.lesson = lesson
        self.errors: list[LessonError] = []
        try:
            self.map = LineMap(Path(lesson.path).read_text(encoding="utf-8"))
        except OSError:
            self.map = LineMap("")

    def error(self, line: int, message: str) -> None:
        self.errors.append(LessonError(self.lesson.path, line, message))

    def key_line(self, step: Step, key: str) -> int:
        return self.map.key(("steps", self.lesson.steps.index(step)), key)

    def step(self, step: Step) -> None:
        if step.kind == "code":
            self.code_step(step)
        elif step.kind in ("quiz", "predict"):
            self.answer_step(step)

    def code_step(self, step: Step) -> None:
        if pipeline.needs_gpu(self.sandbox, step):
            return

        def check(code: str) -> Verdict:
            return pipeline.check_answer(self.sandbox, self.lesson, step, code)

        main = pipeline.check_once(
            self.sandbox, self.lesson, step, step.solution, "en", step.setup, step.seed
        )
        if not main.passed:
            where = " on the step's own set-up" if step.variants else ""
            self.run_failed(step, main, where)
            return
        broken = False
        for number, variant in enumerate(step.variants, 1):
            again = pipeline.check_variant(
                self.sandbox, self.lesson, step, step.solution, variant, "en"
            )
            if again is not None:
                broken = True
                self.variant_failed(step, number, variant, again)
        if broken:
            return
        if check("").passed:
            self.error(
                step.line,
                f"step `{step.id}`: the set-up alone (an empty answer) passes; "
                "add a `check` or an expectation it fails",
            )
        gpu = None
        for trap in step.traps:
            if trap.without_gpu:
                gpu = _has_gpu(self.sandbox) if gpu is None else gpu
                if gpu:
                    continue  # its mistake only shows where there is no GPU
            self.trap(step, trap, check(trap.code or ""))

    def run_failed(self, step: Step, verdict: Verdict, where: str) -> None:
        """Say how the reference solution's run on the step's own set-up failed, once."""
        first = verdict.first_failure
        if first is not None and first.name == "setup":
            self.error(
                self.key_line(step, "setup"), f"step `{step.id}`: the set-up raised {first.got}"
            )
            return
        self.error(
            self.key_line(step, "solution"),
            f"step `{step.id}`: the reference solution {_failure(verdict)}{where}",
        )

    def variant_failed(self, step: Step, number: int, variant: Variant, verdict: Verdict) -> None:
        setup = variant.setup_for(step)
        start = self.sandbox.new_namespace(
            pipeline.effective_setup(step, setup), variant.seed_for(step)
        )
        if start.outcome != "ok":
            error = f"{start.error.type}: {start.error.message}" if start.error else start.outcome
            self.error(
                variant.line, f"step `{step.id}`: the set-up of variant {number} raised {error}"
            )
            return
        self.error(
            variant.line,
            f"step `{step.id}`: the reference solution {_failure(verdict)} on variant {number} "
            f"({_variant_words(step, variant)})",
        )

    def trap(self, step: Step, trap: Trap, verdict: Verdict) -> None:
        what = f"step `{step.id}`: the trap {trap.code or trap.answer!r:.60}"
        if verdict.passed:
            self.error(trap.line, f"{what} passes; a trap must fail")
            return
        ids = [f.id for f in verdict.feedback] + _error_ids(verdict, trap.code or "")
        if trap.feedback and trap.feedback not in ids:
            got = ", ".join(ids) or "none"
            self.error(
                trap.line,
                f"{what} does not get the feedback `{trap.feedback}` "
                f"(feedback given: {got}; {_describe(verdict)})",
            )
        failed = [c.name for c in verdict.checks if not c.passed]
        if trap.fails and not any(
            f == trap.fails or f.startswith(trap.fails + ".") for f in failed
        ):
            self.error(
                trap.line,
                f"{what} does not fail `{trap.fails}` (failed: {', '.join(failed) or 'nothing'})",
            )

    def answer_step(self, step: Step) -> None:
        output = ""
        if step.kind == "predict":
            run = pipeline.run_predict(self.sandbox, step)
            output = run.output
            if run.outcome not in ("ok", "error"):
                self.error(
                    self.key_line(step, "code"),
                    f"step `{step.id}`: the code stopped ({run.outcome})",
                )
        for right in _right_answers(step, output):
            verdict = (
                pipeline.check_predict(step, right, output)
                if step.kind == "predict"
                else pipeline.check_quiz(step, right)
            )
            if not verdict.passed:
                self.error(
                    self.key_line(step, "answer"),
                    f"step `{step.id}`: the right answer {right!r:.60} is not accepted",
                )
        for trap in step.traps:
            answer = trap.answer or ""
            verdict = (
                pipeline.check_predict(step, answer, output)
                if step.kind == "predict"
                else pipeline.check_quiz(step, answer)
            )
            self.trap(step, trap, verdict)


def _has_gpu(sandbox: Sandbox) -> bool:
    try:
        info = sandbox.device_info()
    except Exception:  # noqa: BLE001 - no answer: assume none, and check the trap
        return False
    return bool(info.get("cuda") or info.get("mps"))


def _failure(verdict: Verdict) -> str:
    """How a reference solution failed, in a few words: what it raised, or its first failing
    check (the error said once)."""
    first = verdict.first_failure
    if first is not None and first.name == "reference":
        return f"raised {first.got}" if ": " in first.got else f"was stopped ({first.got})"
    if first is not None and first.name == "sandbox":
        return f"could not be judged: the sandbox was stopped ({first.got})"
    return f"does not pass ({_describe(verdict)})"


def _variant_words(step: Step, variant: Variant) -> str:
    """``set-up `n = 0`, seed 2`` or ``the step's set-up, seed 2``."""
    words = []
    if variant.setup is None:
        words.append("the step's set-up")
    else:
        words.append(f"set-up `{pipeline.variant_text(step, variant)}`")
    if variant.seed is not None:
        words.append(f"seed {variant.seed}")
    return ", ".join(words)


def _error_ids(verdict: Verdict, code: str) -> list[str]:
    """The id tutor.render.errors gives the exception an answer raised (the REPL shows it too)."""
    failed = next((c for c in verdict.checks if c.name == "error" and not c.passed), None)
    if failed is None or ": " not in failed.got:
        return []
    error_type, message = failed.got.split(": ", 1)
    try:
        from tutor.render import errors

        found = errors.explain(error_type, message, code=code)
    except Exception:  # noqa: BLE001 - explanations are optional here
        return []
    return [found.feedback.id] if found is not None else []


def _right_answers(step: Step, output: str) -> list[str]:
    """Every answer the step must accept (several right choices or orders: each of them)."""
    if step.choices and step.select == "all":
        return [" ".join(str(n) for n in step.answer)]
    if step.choices:
        return [str(n) for n in (step.answers or (step.answer,))]
    if step.items:
        return [" ".join(str(n) for n in order) for order in (step.answers or (step.answer,))]
    if step.accept:
        return [step.accept[0]]
    return [output] if step.kind == "predict" and output.strip() else []


def validate_course(
    paths: Iterable[str | Path],
    sandbox: Sandbox,
    on_lesson: Callable[[Lesson, list[LessonError]], None] | None = None,
    on_step: Callable[[int, int, Lesson, Step], None] | None = None,
) -> tuple[list[Lesson], list[LessonError]]:
    """Load and prove every lesson under ``paths``; return the lessons and every problem.

    ``on_step(done, total, lesson, step)`` is told before each step is proved (progress)."""
    lessons, errors = load_course(paths)
    total = sum(len(lesson.steps) for lesson in lessons)
    done = 0
    for lesson in lessons:
        v = _Validator(sandbox, lesson)
        for step in lesson.steps:
            if on_step is not None:
                on_step(done, total, lesson, step)
            done += 1
            try:
                v.step(step)
            except Exception as exc:  # noqa: BLE001 - one broken step must not hide the rest
                v.error(
                    step.line,
                    f"step `{step.id}`: could not be checked: {type(exc).__name__}: {exc}",
                )
        errors += v.errors
        if on_lesson is not None:
            on_lesson(lesson, v.errors)
    errors.sort(key=lambda e: (e.path, e.line))
    return lessons, errors


__all__ = ["validate_course"]
