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

from tutor.i18n import t

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from tutor.course.lesson import Lesson, Step
    from tutor.sandbox import Sandbox


def add_parsers(
    command: Callable[[str, str], argparse.ArgumentParser], positive: Callable[[str], int]
) -> None:
    """The ``grade`` and ``class`` subcommands' arguments (``command`` makes a subparser,
    ``positive`` reads a whole number above 0)."""
    p = command(
        "grade",
        "grade many answers to one step (files, or folders of them), several at once, "
        "each in a fresh sandbox worker; a table, a histogram of mistakes, CSV or JSON",
    )
    p.add_argument("lesson_id", metavar="LESSON")
    p.add_argument("step_id", metavar="STEP")
    p.add_argument("paths", nargs="+", metavar="PATH")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true", help="print CSV, one line per submission")
    p.add_argument(
        "--jobs",
        type=positive,
        metavar="N",
        default=None,
        help="submissions judged at once (default: the number of cores)",
    )
    p = command(
        "class",
        "the class report from many learners' progress files (or their exports): who is "
        "where, who is stuck, the most common mistakes per step, passes made with help",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument(
        "--csv",
        nargs="?",
        const="learners",
        choices=("learners", "mistakes"),
        help="print CSV: one line per learner (default), or per mistake at a step",
    )
    p.add_argument(
        "--stuck-attempts",
        type=positive,
        default=3,
        metavar="N",
        help="stuck: this many tries at the current step without passing (default 3)",
    )
    p.add_argument(
        "--stuck-minutes",
        type=float,
        default=10.0,
        metavar="M",
        help="stuck: this many minutes at the current step without passing (default 10)",
    )


def grade_command(
    args: argparse.Namespace,
    lesson: Lesson,
    step: Step,
    make_sandbox: Callable[[], Sandbox],
) -> int:
    """``grade LESSON STEP PATH...``: exit 0 when every submission passed, 1 when one did
    not, 2 for a step with nothing to check, a missing path or no submissions, 3 when the
    sandbox cannot start, 130 on Ctrl-C."""
    from tutor import grade as grading

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


__all__ = ["add_parsers", "class_command", "console", "grade_command", "show"]
