"""Entry points for the interactive tutor and ``progress``: wire the course, sandbox, store and UI.

``run_session(args)`` and ``progress_command(args)`` are called by tutor.cli
with its parsed arguments. PyTorch starts in the background: the welcome, the
first step and the prompt appear before it has loaded. Never imports torch.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.i18n import t
from tutor.progress import StepRecord, Store, export, export_rows, resolve_path
from tutor.render import chat as render
from tutor.session.conversation import Session
from tutor.session.ui import PlainUI, make_console

if TYPE_CHECKING:
    from tutor.course.lesson import Lesson
    from tutor.sandbox import Sandbox
    from tutor.session.ui import UI


def _lang(args: argparse.Namespace) -> str:
    from tutor.i18n import detect_lang

    return getattr(args, "lang", None) or detect_lang()


def _course(args: argparse.Namespace, lang: str) -> tuple[list[Lesson], Path | None]:
    from tutor.course.files import course_dirs
    from tutor.course.report import load_reporting

    dirs = course_dirs(getattr(args, "lessons", None) or [])
    lessons, _errors, _missing = load_reporting(dirs, lang)  # names what is left out
    glossary = next(
        (d / "glossary.toml" for d in map(Path, dirs) if (d / "glossary.toml").is_file()), None
    )
    return lessons, glossary


def _store(args: argparse.Namespace) -> Store:
    if getattr(args, "no_save", False):
        return Store(None)
    return Store(resolve_path(getattr(args, "progress", None)))


def _sandbox(args: argparse.Namespace, lang: str) -> Sandbox:
    from tutor.course.files import private_paths
    from tutor.sandbox import Sandbox

    kwargs: dict[str, Any] = {"device": getattr(args, "device", None) or "auto", "lang": lang}
    if getattr(args, "timeout", None) is not None:
        kwargs["timeout"] = args.timeout
    progress_folder = resolve_path(getattr(args, "progress", None)).parent
    kwargs["private"] = private_paths(getattr(args, "lessons", None), progress_folder)
    sandbox = Sandbox(**kwargs)
    sandbox.timeout_fixed = "timeout" in kwargs  # an explicit --timeout beats a step's
    sandbox.start()  # returns at once: torch loads while the learner reads
    return sandbox


def _interactive(args: argparse.Namespace) -> bool:
    return not getattr(args, "plain", False) and sys.stdin.isatty() and sys.stdout.isatty()


def run_session(args: argparse.Namespace) -> int:
    """The interactive session (``torch-tutor`` with no subcommand); returns the exit code."""
    lang = _lang(args)
    no_color = bool(os.environ.get("NO_COLOR"))
    interactive = _interactive(args)
    record = getattr(args, "record", None)
    console = make_console(
        width=getattr(args, "width", None), plain=not interactive, no_color=no_color
    )
    sandbox = _sandbox(args, lang)
    try:
        lessons, glossary = _course(args, lang)
        store = _store(args)
    except Exception:
        sandbox.close()
        raise
    history = (
        None
        if getattr(args, "no_save", False)
        else (resolve_path(getattr(args, "progress", None)).parent / "history")
    )
    if interactive:
        from tutor.session.prompt import PromptUI

        ui: UI = PromptUI(console, sandbox, history, lang)
    else:
        ui = PlainUI(console)
    session = Session(
        lessons,
        sandbox,
        store,
        ui,
        lang,
        glossary=glossary,
        save=not getattr(args, "no_save", False),
        record=record,
    )
    try:
        code = session.run(getattr(args, "lesson", None), getattr(args, "step", None))
    finally:
        store.close()
        sandbox.close()
        if session.record is not None:
            # --record FILE: the whole session as a handout (HTML for .html/.htm, else text),
            # also when the session ended with an exception.
            with contextlib.suppress(OSError):
                session.ui.save(session.record)
        if store.unsaved is not None and not session.said_goodbye:
            print(store.unsaved.text(lang), file=sys.stderr)  # ended early: still say it
    return code


def progress_command(args: argparse.Namespace) -> int:
    """``torch-tutor progress [--json] [--export csv|json] [--import COPY]``: show, export or
    add back progress. Showing and exporting only read: they work on a read-only home."""
    lang = _lang(args)
    path = resolve_path(getattr(args, "progress", None))
    if getattr(args, "import_copy", None):
        return _import_copy(path, args.import_copy, lang)
    store = Store(path, read_only=True)
    try:
        records = store.records()
        notices = store.take_notices()
    finally:
        store.close()
    for notice in notices:
        print(notice.text(lang), file=sys.stderr)
    fmt = getattr(args, "export", None)
    if fmt:
        sys.stdout.write(export(records, fmt))
    elif getattr(args, "json", False):
        print(
            json.dumps(
                {"path": str(path), "steps": export_rows(records)}, ensure_ascii=False, indent=2
            )
        )
    else:
        _show_progress(args, records, lang, path)
    return 1 if notices else 0


def _show_progress(
    args: argparse.Namespace, records: list[StepRecord], lang: str, path: Path
) -> None:
    console = make_console(
        width=getattr(args, "width", None),
        plain=getattr(args, "plain", False) or not sys.stdout.isatty(),
        no_color=bool(os.environ.get("NO_COLOR")),
    )
    if not records:
        console.print(t("progress_empty", lang))
        return
    console.print(render.progress_table(records, lang, str(path)))


def _import_copy(path: Path, copy: str, lang: str) -> int:
    """``progress --import COPY``: add a copy of unsaved progress back to the store."""
    store = Store(path)
    try:
        count = store.import_copy(copy)
    except (OSError, ValueError) as exc:
        store.close()
        print(t("import_bad", lang, copy=copy, error=exc), file=sys.stderr)
        return 1
    unsaved = store.finish()
    notices = store.take_notices()
    store.close()
    for notice in notices:
        print(notice.text(lang), file=sys.stderr)
    if unsaved is not None:
        print(unsaved.text(lang), file=sys.stderr)
        return 1
    key = "import_done" if count else "import_again"
    print(t(key, lang, count=count, copy=copy, path=path))
    return 0


__all__ = ["progress_command", "run_session"]
