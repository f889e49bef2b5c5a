"""Editor (watch) mode: check a file each time it is saved, in an already warm sandbox.

``torch-tutor watch LESSON STEP FILE`` shows the task, writes a starter file if
there is none, and then runs the file through the same pipeline as ``check`` on
every save (watchfiles: inotify events instead of polling, debounced, and it
sees editors that save by renaming a new file over the old one). A pass keeps a
copy of the answer beside the file and moves on to the lesson's next code step.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.course.find import Miss, find
from tutor.course.lesson import Lesson, Step
from tutor.i18n import t
from tutor.judge.verdict import Verdict
from tutor.session.mistakes import mistakes

if TYPE_CHECKING:
    from rich.console import Console

    from tutor.progress import Store
    from tutor.sandbox import Sandbox

# watchfiles waits for STEP_MS of quiet before it reports a change, and never
# longer than DEBOUNCE_MS: short enough to feel instant, long enough to see one
# save (write + rename + chmod) as one change.
STEP_MS = 30
DEBOUNCE_MS = 300
QUIET_MS = 500  # with no event for this long, look at the file anyway


def _t(key: str, lang: str, **fields: Any) -> str:
    return t(f"watch.{key}", lang, **fields)


def code_steps_from(lesson: Lesson, step_id: str) -> list[Step]:
    """The code steps of ``lesson`` from ``step_id`` on (that step first)."""
    ids = [s.id for s in lesson.steps]
    start = ids.index(step_id)
    return [s for s in lesson.steps[start:] if s.kind == "code"]


def starter_text(lesson: Lesson, step: Step, lang: str) -> str:
    """A starter file: the task as comments, then the set-up the step runs first."""
    lines = [f"# {lesson.title.get(lang)} · {step.title.get(lang)}", "#"]
    lines += [f"# {line}".rstrip() for line in step.text.get(lang).strip().splitlines()]
    lines.append("#")
    if step.setup.strip():
        lines.append(_t("setup_comment", lang))
        lines += [f"#     {line}".rstrip() for line in step.setup.strip().splitlines()]
    return "\n".join(lines) + "\n\n"


def solved_copy(path: Path, step: Step) -> Path:
    """Where a passing answer to ``step`` is kept: ``answer.py`` -> ``answer.STEP.py``."""
    return path.with_name(f"{path.stem}.{step.id}{path.suffix or '.py'}")


@dataclass(frozen=True)
class Outcome:
    """One check of the watched file."""

    step: Step
    code: str
    verdict: Verdict
    seconds: float
    run: Any = None  # the RunResult: what the file printed, its traceback


class Watcher:
    """Checks one file against a lesson's code steps, moving on after each pass."""

    def __init__(
        self,
        sandbox: Sandbox,
        lesson: Lesson,
        step_id: str,
        path: Path,
        lang: str = "en",
        store: Store | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.lesson = lesson
        self.path = path
        self.lang = lang
        self.store = store
        self.steps = code_steps_from(lesson, step_id)
        self.index = 0
        # The text last checked or written by the watcher itself: saving the
        # same text again (or our own starter-file write) is not a new answer.
        self._seen = ""

    @property
    def step(self) -> Step | None:
        return self.steps[self.index] if self.index < len(self.steps) else None

    def write_starter(self) -> bool:
        """Write the current step's starter file unless the file already holds something."""
        step = self.step
        if step is None or (self.path.exists() and self.path.read_text(encoding="utf-8").strip()):
            return False
        self._write(starter_text(self.lesson, step, self.lang))
        return True

    def _write(self, text: str) -> None:
        self._seen = text
        self.path.write_text(text, encoding="utf-8")

    def check_now(self) -> Outcome | None:
        """Check the file's current text against the current step; move on when it passes."""
        from tutor import pipeline
        from tutor.render import errors

        step = self.step
        if step is None:
            return None
        code = self.path.read_text(encoding="utf-8")
        if code == self._seen:
            return None
        self._seen = code
        began = time.perf_counter()
        # Tracebacks name the file itself, so their line numbers point into it.
        verdict, run = pipeline.check_file(
            self.sandbox, self.lesson, step, code, self.lang, filename=str(self.path)
        )
        # PyTorch's error explained in the verdict, as check and the prompt explain it.
        verdict = errors.explain_verdict(verdict, code, self.lang, off=step.quiet)
        outcome = Outcome(step, code, verdict, time.perf_counter() - began, run)
        self._record(outcome)
        if verdict.passed:
            solved_copy(self.path, step).write_text(code, encoding="utf-8")
            self.index += 1
            if self.step is not None:
                self._write(starter_text(self.lesson, self.step, self.lang))
        return outcome

    def _record(self, outcome: Outcome) -> None:
        if self.store is None:
            return
        found = mistakes(outcome.verdict, "ok", None, outcome.code, self.lang)
        self.store.attempt(
            self.lesson.id,
            outcome.step.id,
            outcome.code,
            outcome.verdict.passed,
            found.ids,
            found.checks,
        )
        if outcome.verdict.passed:
            self.store.set_status(self.lesson.id, outcome.step.id, "passed")

    def changes(self, stop: threading.Event) -> Any:
        """Yield once per save of the watched file until ``stop`` is set, and after every
        half second without one.

        The quiet yields let the caller look at the file again: a save made before the
        file-system watch was in place (just after "Watching" was printed) sends no
        event, and is still checked; looking costs a read, and the same text is not
        checked twice.
        """
        import watchfiles

        name = self.path.name
        for _ in watchfiles.watch(
            self.path.parent,
            watch_filter=lambda _c, p: Path(p).name == name,
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            stop_event=stop,
            rust_timeout=QUIET_MS,
            yield_on_timeout=True,
        ):
            if self.path.exists():
                yield

    def loop(self, stop: threading.Event, show: Callable[[Outcome], None]) -> None:
        """Check on every save and hand each outcome to ``show``; ends after the last step."""
        for _ in self.changes(stop):
            outcome = self.check_now()
            if outcome is not None:
                show(outcome)
            if self.step is None:
                return


# ---------------------------------------------------------------- command line


def _find(lessons: list[Lesson], lesson_id: str, step_id: str) -> tuple[Lesson, Step] | Miss:
    found = find(lessons, lesson_id, step_id)
    if isinstance(found, Miss):
        return found
    lesson, index = found
    return lesson, lesson.steps[index]


def _show_task(console: Console, lesson: Lesson, step: Step, lang: str) -> None:
    from tutor.render import chat as render

    console.print(render.step_panel(lesson, step, lang))


def _show_outcome(console: Console, watcher: Watcher, outcome: Outcome, lang: str) -> None:
    from tutor.render import chat as render

    run = outcome.run
    if run is not None and run.output:
        console.print(render.program_output(run.output), crop=False)
    raised = run is not None and run.outcome == "error" and run.error is not None
    if run is not None:
        # The traceback (with the file's line numbers) and what it means, as the REPL shows it.
        for part in render.outcome(run, lang, code=outcome.code):
            console.print(part, crop=False)
    if raised and not outcome.verdict.passed:
        said = render.chosen_feedback(outcome.verdict.feedback, error_shown=True)
        console.print(render.note(t("error_not_yet", lang), "yellow"), *render.feedback(said))
    else:
        # Every row: watch has no `/verdict` to unfold a long table later.
        console.print(render.verdict(outcome.verdict, lang, error_shown=raised, full=True))
    if outcome.verdict.passed:
        console.print(
            _t("passed", lang, step=outcome.step.id, copy=solved_copy(watcher.path, outcome.step)),
            style="green",
        )
        nxt = watcher.step
        if nxt is None:
            console.print(_t("done", lang), style="bold green")
        else:
            _show_task(console, watcher.lesson, nxt, lang)
    _tell_store(console, watcher.store, lang)


def _tell_store(console: Any, store: Any, lang: str, style: str = "yellow") -> None:
    """Say what happened to the progress file (a write failed, it works again ...)."""
    from rich.text import Text

    for notice in store.take_notices() if store is not None else ():
        console.print(Text(notice.text(lang), style=style))


def _finish_store(console: Any, store: Any, lang: str) -> None:
    """Save what waits a last time; say plainly what could not be saved and where its copy is."""
    from rich.text import Text

    if store is None:
        return
    unsaved = store.finish()
    _tell_store(console, store, lang)
    if unsaved is not None:
        console.print(Text(unsaved.text(lang), style="red"))
    store.close()


def main(args: argparse.Namespace) -> int:
    """``torch-tutor watch LESSON STEP FILE``: exit 0 when the lesson's code steps all pass."""
    from rich.console import Console

    from tutor.course.files import course_dirs
    from tutor.course.report import load_reporting, why_unknown
    from tutor.sandbox import Sandbox

    lang = args.lang
    console = Console(width=getattr(args, "width", None))
    lessons, _errors, missing = load_reporting(course_dirs(args.lessons), lang)
    found = _find(lessons, args.lesson_id, args.step_id)
    if isinstance(found, Miss):
        from rich.text import Text

        why = why_unknown(missing, args.lesson_id, lang) if found.kind == "lesson" else None
        said = why or found.message(lang, "torch-tutor lessons")
        console.print(Text(said, style="red"))
        return 2
    lesson, step = found
    if step.kind != "code":
        console.print(_t("not-code", lang, step=step.id), style="red")
        return 2
    path = Path(args.file).resolve()
    from tutor.course.files import private_paths
    from tutor.progress import resolve_path

    kwargs: dict[str, Any] = {"device": args.device, "lang": lang}
    if args.timeout is not None:
        kwargs["timeout"] = args.timeout
    kwargs["private"] = private_paths(
        args.lessons, resolve_path(getattr(args, "progress", None)).parent
    )
    sandbox = Sandbox(**kwargs)
    sandbox.start()
    store = _store(args)
    try:
        _tell_store(console, store, lang)
        return _watch(console, sandbox, Watcher(sandbox, lesson, step.id, path, lang, store))
    except KeyboardInterrupt:
        return 1
    finally:
        sandbox.close()
        _finish_store(console, store, lang)


def _watch(console: Console, sandbox: Sandbox, watcher: Watcher) -> int:
    lang, path = watcher.lang, watcher.path

    def show(outcome: Outcome) -> None:
        _show_outcome(console, watcher, outcome, lang)

    _show_task(console, watcher.lesson, watcher.steps[0], lang)
    try:
        if watcher.write_starter():
            console.print(_t("starter", lang, file=path))
        else:
            # An answer already in the file is checked at once, as on a save.
            sandbox.wait_ready()
            first = watcher.check_now()
            if first is not None:
                show(first)
    except (OSError, UnicodeDecodeError) as exc:
        console.print(_t("unreadable", lang, file=path, why=exc), style="red")
        return 2
    if watcher.step is None:
        return 0
    console.print(_t("watching", lang, file=path), style="dim")
    watcher.loop(threading.Event(), show)
    return 0


def _store(args: argparse.Namespace) -> Store | None:
    if getattr(args, "no_save", False):
        return None
    from tutor.progress import Store, resolve_path

    store = Store(resolve_path(getattr(args, "progress", None)))
    name = (getattr(args, "name", None) or "").strip()
    if name and name != store.name():
        store.set_name(name)  # --name, as the interactive tutor keeps it
    return store
