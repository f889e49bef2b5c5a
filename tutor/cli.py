"""The command line: ``python -m tutor [lessons|check|grade|validate|run|progress|watch|doctor]``.

With no subcommand the interactive tutor starts (``tutor.session.app.run_session``).
Exit codes of ``check``: 0 passed, 1 not passed, 2 unknown lesson or step, or
an unreadable file; 3 when the sandbox could not start. This module never
imports torch.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.i18n import LANGS, detect_lang, t

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tutor.course.lesson import LeftOut, Lesson
    from tutor.judge.verdict import Check, Verdict
    from tutor.sandbox import Sandbox

_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def _t(key: str, lang: str, **fields: Any) -> str:
    return t(f"cli.{key}", lang, **fields)


def default_lang(environ: dict[str, str] | None = None) -> str:
    """The catalog language of the locale (LC_ALL, LC_MESSAGES, LANG), else English."""
    return detect_lang(environ)


def _device(text: str) -> str:
    if not _DEVICE_RE.match(text):
        raise argparse.ArgumentTypeError(
            f"invalid device {text!r} (use auto, cpu, cuda, cuda:N or mps)"
        )
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted before or after the subcommand."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    add = parser.add_argument
    add(
        "--lessons",
        action="append",
        metavar="DIR",
        default=default([]),
        help="an extra folder (or file) of lessons; repeatable",
    )
    add(
        "--lang",
        choices=LANGS,
        default=default(default_lang()),
        help="language of the lessons and messages (default: from the locale)",
    )
    add(
        "--device",
        type=_device,
        default=default("auto"),
        help="auto, cpu, cuda, cuda:N or mps (default: auto)",
    )
    add(
        "--timeout",
        type=float,
        default=default(None),
        metavar="SECONDS",
        help="time limit for each piece of code",
    )
    add("--plain", action="store_true", default=default(False), help="plain text, no colours")
    add("--no-save", action="store_true", default=default(False), help="do not record progress")
    add("--progress", metavar="PATH", default=default(None), help="the progress database")
    add("--lesson", metavar="ID", default=default(None), help="start at this lesson")
    add("--step", metavar="N", default=default(None), help="start at this step (number or id)")
    add(
        "--name",
        metavar="NAME",
        default=default(None),
        help="your name, remembered in your progress file, for your teacher's class report",
    )
    add(
        "--path",
        metavar="FILE",
        default=default(None),
        help="follow a workshop route: a file listing LESSON[.STEP] [MINUTES], one a line",
    )
    add(
        "--width",
        type=int,
        metavar="N",
        default=default(None),
        help="output width in columns (default: the terminal's)",
    )
    add(
        "--theme",
        choices=("auto", "dark", "light"),
        default=default("auto"),
        help="colours for a dark or a light terminal background, and the handout's "
        "(default: TORCH_TUTOR_THEME, else what the terminal reports, else dark)",
    )
    add(
        "--record",
        metavar="FILE",
        default=default(None),
        help="write the interactive session's transcript to FILE, rewritten after every "
        "input: HTML when FILE ends in .html or .htm, plain text otherwise",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m tutor``."""
    parser = argparse.ArgumentParser(
        prog="python -m tutor", description="A chat-style terminal tutor for PyTorch."
    )
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, suppress=True)
        return p

    p = command("lessons", "list the lessons and their steps")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("check", "check an answer to one step (code, or the answer text)")
    p.add_argument("lesson_id", metavar="LESSON")
    p.add_argument("step_id", metavar="STEP")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON")
    from tutor import instructor  # light: grading itself is imported when it runs

    instructor.add_parsers(command, _positive)
    p = command("validate", "prove lessons: references pass, traps fail, translations exist")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p = command("run", "run a Python file in the sandbox, as `python FILE ARGS` would")
    p.add_argument("file", metavar="FILE")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="arguments for FILE")
    command("doctor", "list the sandbox's protections, each on or off with the reason")
    p = command("progress", "show or export your progress")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--export", choices=("csv", "json"), help="export in this format")
    p.add_argument(
        "--import",
        dest="import_copy",
        metavar="COPY",
        help="add back a copy of progress that could not be saved (the tutor names it)",
    )
    p = command(
        "watch",
        "check FILE against a code step each time it is saved; "
        "after a pass, move on to the lesson's next code step",
    )
    p.add_argument("lesson_id", metavar="LESSON")
    p.add_argument("step_id", metavar="STEP")
    p.add_argument("file", metavar="FILE")
    return parser


# ---------------------------------------------------------------- helpers


def _course(args: argparse.Namespace) -> tuple[list[Lesson], list[LeftOut]]:
    """The lessons, and the files left out (named on stderr)."""
    from tutor.course.files import course_dirs
    from tutor.course.report import load_reporting

    lessons, _errors, missing = load_reporting(course_dirs(args.lessons), args.lang)
    return lessons, missing


def _sandbox(args: argparse.Namespace, write: list[str] | None = None) -> Sandbox:
    """A started sandbox; ``write``: folders its workers may also read and write."""
    from tutor.course.files import private_paths
    from tutor.progress import resolve_path
    from tutor.sandbox import Sandbox

    kwargs: dict[str, Any] = {"device": args.device, "lang": args.lang}
    if args.timeout is not None:
        kwargs["timeout"] = args.timeout
    kwargs["private"] = private_paths(
        args.lessons, resolve_path(getattr(args, "progress", None)).parent
    )
    kwargs["write"] = write or []
    sandbox = Sandbox(**kwargs)
    sandbox.timeout_fixed = "timeout" in kwargs  # an explicit --timeout beats a step's
    sandbox.start()
    if not sandbox.wait_ready(120):
        sandbox.close()
        raise RuntimeError("the Python worker did not start")
    return sandbox


def _leading_first(checks: Iterable[Check]) -> list[Check]:
    """Failing checks first (the first one leads), then the passing ones, each in check order."""
    return [c for c in checks if not c.passed] + [c for c in checks if c.passed]


def _console() -> Any:
    """A Console for ``check``'s text: colour on a terminal (NO_COLOR honoured), plain text in a
    pipe; Markdown is rendered as the prompt renders it (no raw backticks)."""
    from tutor.session.ui import make_console

    tty = sys.stdout.isatty()
    return make_console(
        sys.stdout, width=None if tty else 100, plain=not tty, no_color="NO_COLOR" in os.environ
    )


def _said(console: Any, renderable: Any) -> str:
    with console.capture() as captured:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").split("\n"))


def _print_verdict(verdict: Verdict, lang: str) -> None:
    from rich.padding import Padding

    from tutor.render import chat as render
    from tutor.render.chat import check_label

    console = _console()
    for c in _leading_first(verdict.checks):
        line = f"{'✓' if c.passed else '✗'} {check_label(c.name, lang)}"
        if not c.passed:
            if "\n" in f"{c.expected}{c.got}":  # tensors: one block each, aligned
                width = max(len(_t(k, lang)) for k in ("expected", "got"))
                for key, text in (("expected", c.expected), ("got", c.got)):
                    label = f"    {_t(key, lang):<{width}} "
                    pad = "\n" + " " * len(label)
                    line += "\n" + label + pad.join(str(text).splitlines())
            elif c.expected or c.got:
                line += f": {_t('expected', lang)} {c.expected}, {_t('got', lang)} {c.got}"
            if c.message:
                message = render.inline_code(c.message, style="" if c.passed else "red")
                line += "\n" + _said(console, Padding(message, (0, 0, 0, 4)))
        print(line)
    # The feedback the prompt would show: the lesson's words, and a detector's only on a new
    # point; then the error's explanation (the prompt's "What this means" box). ``--json``
    # keeps every item.
    said = render.chosen_feedback([f for f in verdict.feedback if f.kind != "error"])
    said += [f for f in verdict.feedback if f.kind == "error"]
    for item in render.feedback(said):
        print(_said(console, item))
    print(_t("passed" if verdict.passed else "failed", lang))


# ---------------------------------------------------------------- commands


def cmd_lessons(args: argparse.Namespace) -> int:
    from tutor.course.lesson import lesson_minutes, step_minutes

    lessons, _ = _course(args)
    data: list[dict[str, Any]] = []
    for lesson in lessons:
        minutes, rough = lesson_minutes(lesson)
        steps = []
        for s in lesson.steps:
            step_time, step_rough = step_minutes(s)
            steps.append(
                {
                    "id": s.id,
                    "kind": s.kind,
                    "title": s.title.get(args.lang),
                    "minutes": step_time,
                    "estimated": step_rough,
                }
            )
        data.append(
            {
                "id": lesson.id,
                "title": lesson.title.get(args.lang),
                "minutes": minutes,
                "estimated": rough,
                "steps": steps,
            }
        )
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    from tutor.course.lesson import lesson_number
    from tutor.render.chat import minutes_word

    for i, (row, loaded) in enumerate(zip(data, lessons, strict=True)):
        time_text = minutes_word(row["minutes"], row["estimated"], args.lang)
        print(f"{lesson_number(loaded, i):>3}. {row['id']:<24} {row['title']}  ({time_text})")
        for j, step in enumerate(row["steps"], 1):
            print(f"       {j:2}. {step['id']:<22} [{step['kind']}] {step['title']}")
    return 0


def _find_step(args: argparse.Namespace) -> tuple[Any, Any] | None:
    """The lesson and step named on the command line; a miss is told on stderr (with the
    closest names: a near miss is never taken for what was meant)."""
    from tutor.course.find import Miss, find
    from tutor.course.report import why_unknown

    lessons, missing = _course(args)
    found = find(lessons, args.lesson_id, args.step_id)
    if isinstance(found, Miss):
        # A lesson file that failed to load says why, before any "did you mean".
        why = why_unknown(missing, args.lesson_id, args.lang) if found.kind == "lesson" else None
        print(why or found.message(args.lang, "python -m tutor lessons"), file=sys.stderr)
        return None
    lesson, index = found
    return lesson, lesson.steps[index]


def cmd_check(args: argparse.Namespace) -> int:
    from tutor import pipeline
    from tutor.render import errors

    found = _find_step(args)
    if found is None:
        return 2
    lesson, step = found
    try:
        answer = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(_t("unreadable", args.lang, file=args.file, error=exc), file=sys.stderr)
        return 2
    if step.kind == "quiz" or (step.kind == "predict" and step.choices):
        verdict = pipeline.check_quiz(step, answer, args.lang)
    elif step.kind in ("code", "predict"):
        try:
            sandbox = _sandbox(args)
        except Exception as exc:  # noqa: BLE001 - report, do not crash
            print(_t("no_sandbox", args.lang, error=exc), file=sys.stderr)
            return 3
        try:
            if step.kind == "code":
                verdict = pipeline.check_answer(sandbox, lesson, step, answer, args.lang)
                # PyTorch's error explained as the prompt explains it (same words, same id).
                verdict = errors.explain_verdict(verdict, answer, args.lang, off=step.quiet)
            else:
                verdict = pipeline.check_text_answer(sandbox, step, answer, args.lang)
        except Exception as exc:  # noqa: BLE001 - the sandbox failed, not the answer
            print(_t("no_sandbox", args.lang, error=exc), file=sys.stderr)
            return 3
        finally:
            sandbox.close()
    else:
        print(_t("not_checked", args.lang, kind=step.kind), file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "passed": verdict.passed,
                    "checks": [
                        {
                            "name": c.name,
                            "passed": c.passed,
                            "expected": c.expected,
                            "got": c.got,
                            "message": c.message,
                        }
                        for c in _leading_first(verdict.checks)
                    ],
                    "feedback": [{"id": f.id, "message": f.message} for f in verdict.feedback],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_verdict(verdict, args.lang)
    return 0 if verdict.passed else 1


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade many submissions to one step in one warm sandbox (tutor.instructor)."""
    from tutor import instructor

    found = _find_step(args)
    if found is None:
        return 2
    return instructor.grade_command(args, *found, lambda: _sandbox(args))


def cmd_validate(args: argparse.Namespace) -> int:
    from tutor.course.files import course_dirs
    from tutor.validate import progress as validate_progress
    from tutor.validate import progress_done as validate_progress_done
    from tutor.validate import validate_course

    paths = args.paths or course_dirs(args.lessons)
    try:
        sandbox = _sandbox(args)
    except Exception as exc:  # noqa: BLE001
        print(_t("no_sandbox", args.lang, error=exc), file=sys.stderr)
        return 3
    try:
        lessons, errors = validate_course(paths, sandbox, on_step=validate_progress(args.lang))
    finally:
        sandbox.close()
        validate_progress_done()
    for error in errors:
        print(error)
    steps = sum(len(lesson.steps) for lesson in lessons)
    sys.stdout.flush()
    if errors:
        print("\n" + _t("invalid", args.lang, count=len(errors)), file=sys.stderr)
        return 1
    counted = {
        "lessons": _t("lessons", args.lang, count=len(lessons)),
        "steps": _t("steps", args.lang, count=steps),
    }
    print(_t("valid", args.lang, **counted))
    return 0


RUN_TIMEOUT = 300.0  # `run FILE`'s limit unless --timeout says otherwise


def cmd_run(args: argparse.Namespace) -> int:
    from tutor.runscript import run_file, stdin_fd, writable_paths, writer

    if not os.path.isfile(args.file) or not os.access(args.file, os.R_OK):
        error = "not a readable file" if os.path.exists(args.file) else "no such file"
        print(_t("unreadable", args.lang, file=args.file, error=error), file=sys.stderr)
        return 2
    if args.timeout is None:  # a script is a whole program (a training run), not one input
        args.timeout = RUN_TIMEOUT
    try:
        # The script's folder is its working directory, readable and writable as under
        # `python FILE`; with shared memory, the confinement's only openings for it.
        sandbox = _sandbox(args, write=writable_paths(args.file))
    except Exception as exc:  # noqa: BLE001
        print(_t("no_sandbox", args.lang, error=exc), file=sys.stderr)
        return 3
    try:
        return run_file(
            sandbox,
            args.file,
            list(args.args),
            stdin=stdin_fd(sys.stdin),
            out=writer(sys.stdout),
            err=writer(sys.stderr),
        )
    finally:
        sandbox.close()


def cmd_doctor(args: argparse.Namespace) -> int:
    from tutor.render.chat import protection_rows
    from tutor.sandbox import confine

    try:
        sandbox = _sandbox(args)
    except Exception as exc:  # noqa: BLE001
        print(_t("no_sandbox", args.lang, error=exc), file=sys.stderr)
        return 3
    try:
        info = sandbox.device_info()
        rows = protection_rows(sandbox.protections(), args.lang)
    finally:
        sandbox.close()
    print(_t("doctor_title", args.lang))
    print(_t("doctor_versions", args.lang, **info))
    abi = confine.abi_version()
    if abi:
        print(_t("doctor_landlock", args.lang, abi=abi))
    else:
        print(_t("doctor_no_landlock", args.lang, why=confine.missing_reason()))
    width = max(_width(name) for name, _ in rows)
    for name, state in rows:
        print(f"  {name}{' ' * (width - _width(name))}  {state.plain}")
    return 0


def _width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def unsupported_reason(platform: str | None = None) -> str:
    """Why the sandbox cannot run on this system ("" when it can): no fork, no Unix sockets."""
    import socket

    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):
        return "native Windows"
    if not hasattr(os, "fork"):
        return "this Python has no os.fork"
    if not hasattr(socket, "AF_UNIX"):
        return "this Python has no Unix sockets"
    return ""


def _delegate(module: str, function: str, args: argparse.Namespace) -> int:
    import importlib

    target = getattr(importlib.import_module(module), function)
    result = target(args)
    return int(result or 0)


def _let_ctrl_c_in() -> None:
    """Take Ctrl-C back when the tutor is its terminal's foreground job but was started with
    SIGINT ignored (a script's background job without job control hands it on that way):
    Python keeps an inherited ignore, and ``watch`` or a running answer could then never be
    stopped from the keyboard."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        return
    try:
        ours = sys.stdin.isatty() and os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return
    if ours:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    _let_ctrl_c_in()
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # `torch-tutor lessons | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        # A fault of the machine (a full disk, a folder gone): one line, never a traceback.
        print(_t("environment", args.lang, error=exc), file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    from tutor.render import theme

    theme.use(getattr(args, "theme", None))
    why = unsupported_reason()
    if why and args.command not in ("lessons", "progress", "class"):
        print(_t("unsupported", args.lang, why=why), file=sys.stderr)
        return 3
    commands = {
        "lessons": cmd_lessons,
        "check": cmd_check,
        "grade": cmd_grade,
        "validate": cmd_validate,
        "run": cmd_run,
        "doctor": cmd_doctor,
    }
    if args.command in commands:
        return commands[args.command](args)
    if args.command == "progress":
        return _delegate("tutor.session.app", "progress_command", args)
    if args.command == "class":
        return _delegate("tutor.instructor", "class_command", args)
    if args.command == "watch":
        return _delegate("tutor.session.watch", "main", args)
    return _delegate("tutor.session.app", "run_session", args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
