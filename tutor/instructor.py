"""The instructor's commands: ``grade`` (a class's answers to one step) and ``class`` (the
class report from many progress stores).

For ``grade``, ``tutor.cli`` finds the lesson and step and knows how to start a
sandbox; this module does the rest: which files, the grading (tutor.grade), and the
table, CSV or JSON. ``class`` reads the stores (tutor.classroom) and prints the
report. Never imports torch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tutor import grade as grading
from tutor.i18n import t

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from tutor.course.lesson import Lesson, Step
    from tutor.sandbox import Sandbox


def grade_command(
    args: argparse.Namespace,
    lesson: Lesson,
    step: Step,
    make_sandbox: Callable[[], Sandbox],
) -> int:
    """``grade LESSON STEP PATH...``: exit 0 when every submission passed, 1 when one did
    not, 2 for a step with nothing to check, a missing path or no submissions, 3 when the
    sandbox cannot start, 130 on Ctrl-C."""
    lang = args.lang
    if step.kind not in ("code", "quiz", "predict"):
        print(t("cli.not_checked", lang, kind=step.kind), file=sys.stderr)
        return 2
    files, missing = grading.submissions(args.paths, step)
    for path in missing:
        print(t("grade_missing", lang, path=path), file=sys.stderr)
    if missing:
        return 2
    if not files:
        suffixes = "*.py" if step.kind == "code" else "*.txt, *.md"
        paths = ", ".join(args.paths)
        print(t("grade_no_files", lang, paths=paths, suffixes=suffixes), file=sys.stderr)
        return 2
    needs_sandbox = step.kind == "code" or (step.kind == "predict" and not step.choices)
    try:
        sandbox = make_sandbox() if needs_sandbox else None
    except Exception as exc:  # noqa: BLE001 - report, do not crash
        print(t("cli.no_sandbox", lang, error=exc), file=sys.stderr)
        return 3
    jobs = args.jobs or grading.default_jobs()
    started = time.monotonic()
    try:
        grader = grading.Grader(sandbox, lesson, step, lang)
        rows = grading.grade(grader, files, jobs, _progress(len(files), lang))
    except KeyboardInterrupt:
        print("\n" + t("grade_interrupted", lang), file=sys.stderr)
        return 130
    finally:
        if sandbox is not None:
            sandbox.close()
    if sys.stderr.isatty():
        print("\r\x1b[K", end="", file=sys.stderr)
    summary = grading.to_json(rows, lesson, step, time.monotonic() - started, min(jobs, len(files)))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(grading.to_csv(rows))
    else:
        from tutor.render.reports import grade_report

        show(console(args.width), grade_report(rows, summary, lang))
    return 0 if all(row.passed for row in rows) else 1


def class_command(args: argparse.Namespace) -> int:
    """``class PATH...``: exit 0 with a report, 2 when nothing under the paths is a progress
    store or an export (what could not be read is named on stderr)."""
    from tutor import classroom

    lang = args.lang
    learners, problems = classroom.read(args.paths, lang)
    for problem in problems:
        print(t("class_unreadable", lang, problem=problem), file=sys.stderr)
    if not learners:
        print(t("class_none", lang, paths=", ".join(args.paths)), file=sys.stderr)
        return 2
    report = classroom.report(learners, None, args.stuck_attempts, args.stuck_minutes)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(classroom.to_csv(report, args.csv))
    else:
        from tutor.render.reports import class_report

        show(console(args.width), class_report(report, lang))
    return 0


def show(out: Console, renderable: RenderableType) -> None:
    """Print through ``out``; in a pipe, without the spaces rich pads lines with."""
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    sys.stdout.write("\n".join(line.rstrip() for line in captured.get().split("\n")))


def console(width: int | None = None) -> Console:
    """A Console for reports: colour on a terminal (NO_COLOR honoured), plain text in a pipe;
    ``width`` (``--width``) or the terminal's, 100 columns in a pipe."""
    from tutor.session.ui import make_console

    tty = sys.stdout.isatty()
    return make_console(
        sys.stdout,
        width=width or (None if tty else 100),
        plain=not tty,
        no_color="NO_COLOR" in os.environ,
    )


def _progress(total: int, lang: str) -> Callable[[Any], None] | None:
    """A "graded 12 of 30" line on a terminal's stderr while grading; nothing in a pipe."""
    if not sys.stderr.isatty():
        return None
    done = [0]

    def tell(_row: Any) -> None:
        done[0] += 1
        print(f"\r{t('grade_progress', lang, done=done[0], total=total)}", end="", file=sys.stderr)

    return tell


__all__ = ["class_command", "console", "grade_command", "show"]
