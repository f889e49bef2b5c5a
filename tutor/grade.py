"""Batch grading: many submissions to one step, each judged like ``check``, side by side.

``grade(sandbox, lesson, step, files, lang, jobs)`` judges every file in a fresh
worker of its own (``pipeline.check_fresh``), ``jobs`` of them at once, in one
warm sandbox: torch is imported once, the reference runs once. Each submission
becomes a ``Row`` (plain data); ``mistakes`` and ``failing_checks`` count what
went wrong for a histogram; ``to_json`` and ``to_csv`` are the machine formats.

Every failing row carries at least one feedback id: the lesson's and the
detectors' ids, the error explanation's id when the code raised (``error-other``
when no explanation knows the error), the outcome when the run was stopped
(``timeout``, ``memory``, ``crashed``, ``exited``, ``killed``), and, when nothing
else names the mistake, ``check-`` and the leading failing check
(``check-x.values``).

UI side: never imports torch.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import pipeline
from tutor.course.lesson import Lesson, Step
from tutor.i18n import t
from tutor.judge.verdict import Verdict
from tutor.render import errors
from tutor.session import mistakes as judged
from tutor.session.mistakes import ERROR_OTHER, STOPPED

if TYPE_CHECKING:
    from tutor.sandbox import ReferenceRun

# Outcomes worth a second, solitary try: the worker (or the whole sandbox) was taken down,
# maybe by another submission running beside it.
_RETRY = ("killed", "sandbox")
SANDBOX_KILLED = "sandbox-killed"  # the submission killed the sandbox's own processes


@dataclass(frozen=True)
class Row:
    """One graded submission."""

    file: str
    passed: bool
    outcome: str  # passed, failed, error, timeout, memory, crashed, exited, killed,
    # sandbox (the sandbox failed, not the answer), unreadable
    failing: tuple[str, ...] = ()  # failing checks, the leading one first
    feedback: tuple[str, ...] = ()  # feedback ids
    seconds: float = 0.0
    error: str = ""  # "TypeError: ..." when the code raised or was stopped
    messages: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # (id, message)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "passed": self.passed,
            "outcome": self.outcome,
            "failing_checks": list(self.failing),
            "feedback_ids": list(self.feedback),
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "feedback": [{"id": i, "message": m} for i, m in self.messages],
        }


def submissions(paths: Iterable[str | Path], step: Step) -> tuple[list[Path], list[str]]:
    """The files to grade under ``paths`` (files as given; folders searched, sorted) and the
    paths that do not exist. A folder gives its ``*.py`` files for a code step, its ``*.txt``
    and ``*.md`` files for a quiz or predict step; hidden files and folders are skipped."""
    suffixes = (".py",) if step.kind == "code" else (".txt", ".md")
    found: list[Path] = []
    missing: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in suffixes
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and "__pycache__" not in p.parts
            )
        elif path.is_file():
            found.append(path)
        else:
            missing.append(str(path))
    return list(dict.fromkeys(found)), missing


def default_jobs() -> int:
    """How many submissions to judge at once: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return max(1, os.cpu_count() or 1)


class Grader:
    """Judges submissions to one step in one sandbox; safe to call from several threads."""

    def __init__(self, sandbox: Any, lesson: Lesson, step: Step, lang: str = "en") -> None:
        self.sandbox = sandbox
        self.lesson = lesson
        self.step = step
        self.lang = lang
        self._predict_output: str | None = None

    def prepare(self) -> None:
        """Run what every submission shares once, before any runs: the references (the
        step's and each variant's), or a predict step's real output."""
        step = self.step
        if step.kind == "code":
            pipeline.reference(self.sandbox, self.lesson, step, step.setup, step.seed)
            for variant in step.variants:
                setup, seed = variant.setup_for(step), variant.seed_for(step)
                pipeline.reference(self.sandbox, self.lesson, step, setup, seed)
        elif step.kind == "predict" and not step.choices:
            run = pipeline.run_predict(self.sandbox, step)
            error = run.error
            self._predict_output = (
                run.output
                if run.outcome == "ok" or error is None
                else f"{error.type}: {error.message}"
            )

    def grade(self, path: Path) -> Row:
        """One submission, judged like ``check``."""
        started = time.monotonic()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return Row(
                str(path),
                False,
                "unreadable",
                feedback=("file-unreadable",),
                error=f"{type(exc).__name__}: {exc}",
            )
        try:
            verdict, run = self._verdict(text)
        except Exception as exc:  # noqa: BLE001 - the sandbox failed, not the answer
            return Row(
                str(path),
                False,
                "sandbox",
                failing=("sandbox",),
                feedback=("sandbox",),
                seconds=time.monotonic() - started,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
        return row_for(str(path), verdict, run, text, self.lang, time.monotonic() - started)

    def grade_alone(self, path: Path) -> Row:
        """Grade a submission with nothing else running; one that takes the whole sandbox
        down even so (it killed the sandbox's processes) is named as the cause."""
        if self.sandbox is not None:
            self.sandbox.wait_ready(60)  # a zygote lost earlier is replaced first
        lost = self._lost()
        row = self.grade(path)
        if self._lost() == lost:
            return row
        text = t("grade_sandbox_killed", self.lang)
        return replace(
            row,
            passed=False,
            outcome="killed",
            failing=row.failing or ("sandbox",),
            feedback=(SANDBOX_KILLED,),
            error=text,
            messages=((SANDBOX_KILLED, text),),
        )

    def _lost(self) -> int:
        return int(getattr(self.sandbox, "zygotes_lost", 0) or 0)

    def _verdict(self, text: str) -> tuple[Verdict, Any]:
        step = self.step
        if step.kind == "code":
            verdict, run = pipeline.check_fresh(self.sandbox, self.lesson, step, text, self.lang)
            # PyTorch's error explained as ``check`` and the prompt explain it (the same id).
            return errors.explain_verdict(verdict, text, self.lang, off=step.quiet), run
        if step.kind == "predict" and not step.choices:
            output = self._predict_output or ""
            return pipeline.check_predict(step, text, output, self.lang), None
        return pipeline.check_quiz(step, text, self.lang), None


def grade(
    grader: Grader,
    files: Sequence[Path],
    jobs: int,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Grade ``files``, ``jobs`` at a time; rows in the order of ``files``.

    A submission whose worker was killed from outside, or whose sandbox went down,
    is graded once more alone afterwards: beside others, it may have been the
    victim of another submission (one that killed the sandbox's processes); the
    second, solitary result stands.
    """
    jobs = max(1, min(jobs, len(files) or 1))
    if grader.step.kind == "code":
        grader.sandbox.prefork(jobs)
    grader.prepare()
    rows: list[Row | None] = [None] * len(files)
    lock = threading.Lock()

    def one(index: int) -> None:
        row = grader.grade(files[index])
        with lock:
            rows[index] = row
        if on_row is not None and row.outcome not in _RETRY:
            on_row(row)

    if jobs == 1:
        for i in range(len(files)):
            one(i)
    else:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") as pool:
            for future in [pool.submit(one, i) for i in range(len(files))]:
                future.result()
    for i, row in enumerate(rows):
        if row is not None and row.outcome in _RETRY:
            rows[i] = again = grader.grade_alone(files[i])
            if on_row is not None:
                on_row(again)
    return [row for row in rows if row is not None]


def row_for(
    file: str, verdict: Verdict, run: ReferenceRun | None, code: str, lang: str, seconds: float
) -> Row:
    """A graded submission from its verdict and its run (``ReferenceRun`` or None)."""
    outcome = run.outcome if run is not None else "ok"
    error = run.error if run is not None else None
    found = judged.mistakes(verdict, outcome, error, code, lang)
    said = ""
    if error is not None and outcome != "ok":
        said = f"{error.type}: {error.message}".splitlines()[0][:300]
    return Row(
        file, verdict.passed, found.outcome, found.checks, found.ids, seconds, said, found.said
    )


# ---------------------------------------------------------------- summaries


def mistakes(rows: Iterable[Row]) -> list[tuple[str, int]]:
    """Feedback ids of the failing submissions, most common first (ties by id)."""
    counts = Counter(i for row in rows if not row.passed for i in row.feedback)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def failing_checks(rows: Iterable[Row]) -> list[tuple[str, int]]:
    """Failing checks of the failing submissions, most common first."""
    counts = Counter(name for row in rows if not row.passed for name in row.failing)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def outcomes(rows: Iterable[Row]) -> list[tuple[str, int]]:
    """How many submissions ended each way (passed, failed, error, timeout ...)."""
    counts = Counter(row.outcome for row in rows)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def to_json(
    rows: Sequence[Row], lesson: Lesson, step: Step, seconds: float, jobs: int
) -> dict[str, Any]:
    """The whole report as JSON: one object per submission, then the counts."""
    return {
        "lesson": lesson.id,
        "step": step.id,
        "total": len(rows),
        "passed": sum(row.passed for row in rows),
        "seconds": round(seconds, 3),
        "jobs": jobs,
        "submissions": [row.to_json() for row in rows],
        "outcomes": dict(outcomes(rows)),
        "mistakes": [{"id": i, "count": n} for i, n in mistakes(rows)],
        "failing_checks": [{"name": c, "count": n} for c, n in failing_checks(rows)],
    }


CSV_FIELDS = ("file", "passed", "outcome", "failing_checks", "feedback_ids", "seconds", "error")


def to_csv(rows: Sequence[Row]) -> str:
    """One line per submission; lists are joined with spaces (ids and check names have none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow(
            [
                row.file,
                "true" if row.passed else "false",
                row.outcome,
                " ".join(row.failing),
                " ".join(row.feedback),
                f"{row.seconds:.3f}",
                row.error,
            ]
        )
    return out.getvalue()


__all__ = [
    "CSV_FIELDS",
    "ERROR_OTHER",
    "STOPPED",
    "SANDBOX_KILLED",
    "Grader",
    "Row",
    "default_jobs",
    "failing_checks",
    "grade",
    "mistakes",
    "outcomes",
    "row_for",
    "submissions",
    "to_csv",
    "to_json",
]
