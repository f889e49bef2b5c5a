"""Slash commands: ``/hint``, ``/solution``, ``/goto 4.2`` ... each a small function of the session.

``dispatch(session, text)`` runs one; an unknown name gets "did you mean"
(difflib). Handlers use the session's public methods and render through it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from tutor import pipeline
from tutor.course.find import Miss, locate
from tutor.course.lesson import lesson_minutes, lesson_number
from tutor.i18n import LANGS, choices, t
from tutor.render import chat as render
from tutor.session import remarks

if TYPE_CHECKING:
    from rich.console import RenderableType

    from tutor.course.lesson import Lesson, Step
    from tutor.course.route import Route
    from tutor.judge.verdict import Verdict
    from tutor.progress import Store
    from tutor.sandbox import RunResult, Sandbox
    from tutor.session.transcript import Recorder


class Session(Protocol):
    """What a handler may use of the conversation (:class:`tutor.session.conversation.Session`).

    A protocol, so this module never imports the conversation that dispatches to it.
    """

    lessons: list[Lesson]
    sandbox: Sandbox | None
    store: Store
    ui: Recorder
    lang: str
    li: int
    si: int
    running: bool
    last_run: tuple[str, RunResult] | None
    route: Route | None
    shown_verdict: Verdict | None
    last_judgement: pipeline.Judgement | None
    hinted: set[tuple[str, str, str]]
    inputs: list[str]
    history: list[str]

    @property
    def lesson(self) -> Lesson: ...
    @property
    def step(self) -> Step: ...
    @property
    def key(self) -> tuple[str, str]: ...
    def show(self, *renderables: Any) -> None: ...
    def say(self, key: str, style: str = "", **fields: Any) -> None: ...
    def ensure_namespace(self, fresh: bool = False) -> Sandbox | None: ...
    def run_code(self, code: str, attempt: bool = False) -> None: ...
    def judge(self, code: str, result: RunResult, quiet: bool) -> None: ...
    def advance(self) -> None: ...
    def back(self) -> None: ...
    def goto(self, li: int, si: int) -> None: ...
    def set_lang(self, lang: str) -> None: ...
    def predict_output(self) -> str | None: ...


Handler = Callable[[Session, str], None]
COMMANDS: dict[str, Handler] = {}
# Words a beginner types for a command, meant as the command (``quit()`` would only stop
# Python in the worker).
BARE = {
    "quit": "quit",
    "exit": "quit",
    "quit()": "quit",
    "exit()": "quit",
    "help": "help",
    "hint": "hint",
}
ALIASES = {
    "h": "help",
    "q": "quit",
    "exit": "quit",
    "n": "next",
    "b": "back",
    "s": "skip",
    "ls": "lessons",
    "sol": "solution",
    "l": "lessons",
}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``/name``."""

    def register(func: Handler) -> Handler:
        COMMANDS[name] = func
        return func

    return register


def dispatch(session: Session, text: str) -> None:
    """Run the command in ``text`` (``/name arg``), or suggest the closest one."""
    name, _, arg = text.strip().lstrip("/").partition(" ")
    name = ALIASES.get(name.lower(), name.lower())
    handler = COMMANDS.get(name)
    if handler is None:
        session.say("unknown_command", "red", name="/" + name)
        close = difflib.get_close_matches(name, sorted(COMMANDS), n=1, cutoff=0.5)
        if close:
            session.say("did_you_mean", "yellow", name="/" + close[0])
        else:
            session.show(render.help_table(session.lang))
        return
    handler(session, arg.strip())


def names() -> list[str]:
    """Every command as typed, for completion: ``/help`` ..."""
    return ["/" + n for n in sorted(COMMANDS)]


# ---------------------------------------------------------------- help, navigation


@command("help")
def cmd_help(session: Session, arg: str) -> None:
    session.show(render.help_table(session.lang))


@command("quit")
def cmd_quit(session: Session, arg: str) -> None:
    session.running = False


EXERCISES = ("code", "quiz", "predict")


@command("next")
def cmd_next(session: Session, arg: str) -> None:
    """Move on; an exercise not passed stays open (its status is left as it is)."""
    status = session.store.get(*session.key).status
    if session.step.kind in EXERCISES and status not in ("passed", "skipped"):
        session.say("next_open", "dim")
    session.advance()


@command("back")
def cmd_back(session: Session, arg: str) -> None:
    session.back()


@command("skip")
def cmd_skip(session: Session, arg: str) -> None:
    """Mark the exercise skipped (the lesson can be complete without it), then move on."""
    if session.step.kind in EXERCISES:
        if session.store.get(*session.key).status == "passed":
            session.say("skip_passed", "dim")
        else:
            session.store.set_status(*session.key, "skipped")
            session.say("skipped", "yellow")
    session.advance()


@command("explain")
def cmd_explain(session: Session, arg: str) -> None:
    session.show(render.step_panel(session.lesson, session.step, session.lang))


@command("lang")
def cmd_lang(session: Session, arg: str) -> None:
    if arg not in LANGS:
        usage = choices([f"`/lang {lang}`" for lang in LANGS], session.lang)
        session.say("lang_usage", "yellow", choices=usage)
        return
    session.set_lang(arg)
    session.say("lang_set", "green")
    session.show(render.step_panel(session.lesson, session.step, session.lang))


def resolve(session: Session, lesson: str | None, step: str | None) -> tuple[int, int] | None:
    """Lesson by id, file name, number (``4`` for ``04-...``) or title; step by id or number.
    Exact names only (``tutor.course.find``): a near miss is None."""
    if lesson is None:
        return None
    found = locate(session.lessons, lesson, step)
    return None if isinstance(found, Miss) else found


@command("goto")
def cmd_goto(session: Session, arg: str) -> None:
    if not arg:
        session.say("usage", "yellow", usage=t("syntax.goto", session.lang))
        return
    lesson, _, step = arg.partition(".") if " " not in arg else arg.partition(" ")
    place = locate(session.lessons, lesson, step or None)
    if isinstance(place, Miss):
        # Said, never taken: a close name is only offered.
        session.show(render.note(place.message(session.lang, "/lessons").replace("`", ""), "red"))
        return
    session.goto(*place)


@command("lessons")
def cmd_lessons(session: Session, arg: str) -> None:
    session.show(lessons_view(session))


def lessons_view(session: Session) -> RenderableType:
    """The lessons table: number, id, title, done (and skipped), time, the learner's lesson
    marked."""
    status = {(r.lesson, r.step): r.status for r in session.store.records()}
    rows = []
    for i, les in enumerate(session.lessons):
        # the exercises (steps that check an answer), as the progress line counts them
        exercises = [s.id for s in les.steps if s.kind in EXERCISES]
        done = sum(status.get((les.id, s)) == "passed" for s in exercises)
        skipped = sum(status.get((les.id, s)) == "skipped" for s in exercises)
        title = les.title.get(session.lang)
        row = (lesson_number(les, i), les.id, title, len(exercises), done, skipped, i == session.li)
        rows.append((*row, lesson_minutes(les)))
    return render.lessons_table(rows, session.lang)


@command("route")
def cmd_route(session: Session, arg: str) -> None:
    """The workshop route: its stops, their times, what is done and where the learner is."""
    route = session.route
    if route is None:
        session.say("no_route", "dim")
        return
    rows = []
    left = 0.0
    for i, stop in enumerate(route.stops):
        lesson = session.lessons[stop.lesson]
        step = lesson.steps[stop.step]
        record = session.store.get(lesson.id, step.id)
        if record.status not in ("passed", "skipped"):
            left += stop.minutes
        here = (stop.lesson, stop.step) == (session.li, session.si)
        status = (record.status, record.assisted)
        rows.append(
            (i + 1, f"{lesson.id}.{step.id}", step.title.get(session.lang), stop, status, here)
        )
    minutes, rough = route.minutes
    session.show(render.route_table(rows, session.lang, minutes, rough, round(left)))


# ---------------------------------------------------------------- help with the step


@command("hint")
def cmd_hint(session: Session, arg: str) -> None:
    hints = session.step.hints
    if _mistake_hint(session):
        return
    if not hints:
        session.say("no_hints", "dim")
        return
    used = session.store.get(*session.key).hints
    if used >= len(hints):
        session.show(render.hint(hints[-1].get(session.lang), len(hints), len(hints), session.lang))
        session.say("hints_used_up", "dim")
        return
    session.store.hint(*session.key, used + 1)
    session.show(render.hint(hints[used].get(session.lang), used + 1, len(hints), session.lang))
    if used + 1 == len(hints):
        # Every hint, the last one close to the answer: a pass from here is made with help.
        session.store.helped(*session.key, "hints")
        session.say("hints_used_up", "dim")


def _mistake_hint(session: Session) -> bool:
    """The lesson's hint for the mistake just made (a feedback rule's ``hint``), once: a hint
    about what the learner did beats the next one of the general sequence."""
    judged = session.last_judgement
    if judged is None or judged.verdict.passed:
        return False
    fired = {f.id for f in judged.verdict.feedback}
    for rule in session.step.feedback:
        key = (*session.key, rule.id)
        if rule.id in fired and rule.hint and key not in session.hinted:
            session.hinted.add(key)
            title = t("hint_for_mistake", session.lang)
            session.show(render.hint(rule.hint.get(session.lang), 0, 0, session.lang, title=title))
            return True
    return False


@command("solution")
def cmd_solution(session: Session, arg: str) -> None:
    step = session.step
    if step.kind in ("quiz", "predict") and (step.answer is not None or step.accept):
        if session.ui.confirm(t("solution_confirm", session.lang)):
            session.store.helped(*session.key, "solution")  # a pass from now on is one with it
            session.say("answer_is", "green", answer=_answer_text(step, session.lang))
            output = session.predict_output() if step.kind == "predict" else None
            if output is not None:
                remarks.show_real_output(session, output)
            if step.explanation:
                session.show(render.explanation(step.explanation.get(session.lang), session.lang))
        return
    if not step.solution:
        session.say("no_solution", "dim")
        return
    if not session.ui.confirm(t("solution_confirm", session.lang)):
        return
    session.store.helped(*session.key, "solution")  # a pass from now on is one with it
    if getattr(session.ui, "animates", False):
        session.say("solution_typed", "dim")
    # Typed at the prompt where the room is looking; Enter runs it as an answer.
    code = session.ui.type_in(step.solution)
    if code is not None and code.strip():
        session.run_code(code, attempt=step.kind == "code")


def _answer_text(step: Step, lang: str) -> str:
    if step.choices and isinstance(step.answer, int):
        return f"{step.answer}. {step.choices[step.answer - 1].get(lang)}"
    if step.items and step.answer:
        return " ".join(str(n) for n in step.answer)
    return pipeline.accepted_answer(step, lang) if step.accept else str(step.answer)


@command("edit")
def cmd_edit(session: Session, arg: str) -> None:
    """The step's starter (or the learner's last code) in $EDITOR; the saved file is an answer."""
    from tutor.session import editor
    from tutor.session.ui import prompted

    if session.step.kind not in ("code", "explore"):
        session.say("edit_not_code", "dim")
        return
    last = session.store.get(*session.key).last_code
    start = (
        last + "\n" if last.strip() else editor.starter(session.lesson, session.step, session.lang)
    )
    try:
        text = editor.edit(start, f"{session.lesson.id}-{session.step.id}.py")
    except editor.EditorError as exc:
        session.say("no_editor", "red", error=str(exc))
        return
    code = editor.body(text)
    if not editor.has_code(code):
        session.say("edit_empty", "dim")
        return
    session.show(render.code(prompted(code)))  # the room sees what runs, as if typed
    session.run_code(code, attempt=session.step.kind == "code")


@command("save")
def cmd_save(session: Session, arg: str) -> None:
    if not arg:
        session.say("usage", "yellow", usage=t("syntax.save_formats", session.lang))
        return
    try:
        path = session.ui.save(arg)
    except OSError as exc:
        session.say("save_failed", "red", error=str(exc))
        return
    session.say("saved", "green", path=str(path))


@command("reset")
def cmd_reset(session: Session, arg: str) -> None:
    if session.ensure_namespace(fresh=True) is not None:
        session.say("reset_done", "green")


@command("undo")
def cmd_undo(session: Session, arg: str) -> None:
    """The namespace as it was before the last input: a fresh worker runs the set-up and the
    inputs before it again (each with its seed, quietly); ``/undo`` again goes one further."""
    from tutor.sandbox import SandboxError

    if not session.history:  # only this step's inputs: an earlier step's are not on screen
        session.say("undo_nothing", "dim")
        return
    sb = session.ensure_namespace()
    if sb is None:
        return
    try:
        with session.ui.busy(t("undoing", session.lang)):
            undone = sb.undo()
    except SandboxError as exc:
        session.say("sandbox_trouble", "red", error=str(exc))
        return
    if undone is None:  # the namespace was made afresh since (a /reset)
        session.history.clear()
        session.say("undo_nothing", "dim")
        return
    result, ran_clean = undone
    last = session.history.pop()
    if ran_clean and session.inputs:
        session.inputs.pop()
    session.last_run = None
    session.say("undone", "green", code=_one_line(last))
    if not result.ok:
        # An earlier input fails when run again (it read a file since changed, say).
        session.history[:] = session.inputs[:]
        session.say("undo_replay_failed", "yellow", outcome=result.summary)


def _one_line(code: str, width: int = 60) -> str:
    first = code.strip().splitlines()[0] if code.strip() else ""
    more = first != code.strip() or len(first) > width
    return first[:width] + ("…" if more else "")


@command("check")
def cmd_check(session: Session, arg: str) -> None:
    if session.step.kind != "code":
        session.say("nothing_to_check", "dim")
        return
    if session.ensure_namespace() is None:
        return
    code, result = session.last_run or ("", _empty_run())
    session.judge(code, result, quiet=False)


@command("verdict")
def cmd_verdict(session: Session, arg: str) -> None:
    """The last verdict again, every row (a long one is shown folded)."""
    if session.shown_verdict is None:
        session.say("no_verdict", "dim")
        return
    session.show(render.verdict(session.shown_verdict, session.lang, full=True))


def _empty_run() -> RunResult:
    from tutor.sandbox import RunResult

    return RunResult("ok")


# ---------------------------------------------------------------- the worker's view


def _call(session: Session, op: str, **kwargs: Any) -> Any:
    from tutor.sandbox import SandboxBusy, SandboxError

    sb = session.ensure_namespace()
    if sb is None:
        return None
    try:
        return sb.call(op, **kwargs)
    except SandboxBusy:
        session.say("busy", "yellow")
    except SandboxError as exc:
        session.say("sandbox_trouble", "red", error=str(exc))
    return None


@command("vars")
def cmd_vars(session: Session, arg: str) -> None:
    """``/vars``: every variable (type, shape ...); ``/vars NAME``: one, with its value."""
    if arg:
        from tutor.sandbox import SandboxBusy, SandboxError

        width = getattr(getattr(session.ui, "console", None), "width", 80)
        sb = session.ensure_namespace()
        if sb is None:
            return
        try:
            info = sb.call("value", name=arg, width=max(int(width) - 4, 40))
        except SandboxBusy:
            session.say("busy", "yellow")
        except SandboxError:
            # Its repr() ran past the helper's time limit: the worker was replaced and the
            # inputs replayed, so the variables are back; say what happened in words.
            session.say("value_timeout", "yellow", name=arg)
        else:
            session.show(render.value_panel(info, session.lang))
        return
    rows = _call(session, "vars")
    if rows is None:
        return
    if not rows:
        session.say("no_vars", "dim")
        return
    session.show(render.vars_table(rows, session.lang))


@command("env")
def cmd_env(session: Session, arg: str) -> None:
    info = _call(session, "env")
    if info is not None:
        sb = session.sandbox
        try:
            if sb is not None:
                info["protections"] = sb.protections()
        except Exception:  # noqa: BLE001 - the versions are worth showing alone
            info.pop("protections", None)
        session.show(render.env_table(info, session.lang))


@command("graph")
def cmd_graph(session: Session, arg: str) -> None:
    from tutor.render import pictures

    if not arg:
        session.say("usage", "yellow", usage=t("syntax.graph", session.lang))
        return
    payload = _call(session, "graph", name=arg)
    if payload is None:
        return
    picture = pictures.picture_for(payload, session.lang)
    session.show(picture if picture is not None else str(payload))


@command("shapes")
def cmd_shapes(session: Session, arg: str) -> None:
    """The last input's computation, op by op, with shapes in and out."""
    from tutor.session import visuals

    visuals.show_shapes(session.ensure_namespace(), session.lang, session.say, session.show)


@command("plot")
def cmd_plot(session: Session, arg: str) -> None:
    """A list of numbers or a 1-D tensor as a terminal plot (``/plot losses``)."""
    from tutor.session import visuals

    sb = session.ensure_namespace() if arg else None
    visuals.show_plot(sb, arg.strip(), session.lang, session.say, session.show, plain=False)


__all__ = ["ALIASES", "BARE", "COMMANDS", "command", "dispatch", "lessons_view", "names", "resolve"]
