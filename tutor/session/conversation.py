"""The conversation loop, apart from any terminal library: read -> run -> check -> diagnose ->
render -> record.

``Session(lessons, sandbox, store, ui, lang)`` drives one learner through the
course; ``ui`` is a ``tutor.session.ui.UI`` (the prompt_toolkit one, plain text, or a
script in tests). This module never imports torch or prompt_toolkit.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import codeinfo, pipeline
from tutor.course.find import Miss
from tutor.course.lesson import lesson_number
from tutor.course.route import Route
from tutor.i18n import t
from tutor.progress import Store
from tutor.render import chat as render
from tutor.render import errors
from tutor.session import ask, commands, elapsed, moves, places, remarks, visuals, welcome
from tutor.session.mistakes import mistakes
from tutor.session.transcript import Recorder
from tutor.session.ui import UI

if TYPE_CHECKING:
    from tutor.course.lesson import Lesson, Step
    from tutor.judge.verdict import Verdict
    from tutor.sandbox import RunResult, Sandbox

# Idle time beyond this between two inputs does not count as time spent on a step.
_MAX_IDLE = 300.0
_INSPECT = re.compile(r"^\?\s*([A-Za-z_][\w.]*)\s*$|^([A-Za-z_][\w.]*)\s*\?$")


class Session:
    """One learner's conversation with the tutor."""

    def __init__(
        self,
        lessons: list[Lesson],
        sandbox: Sandbox | None,
        store: Store,
        ui: UI,
        lang: str = "en",
        *,
        glossary: str | Path | None = None,
        save: bool = True,
        record: str | Path | None = None,
        route: Route | None = None,
    ) -> None:
        self.lessons = lessons
        self.sandbox = sandbox
        self.store = store
        # Every session keeps its transcript, so /save works at any moment.
        self.ui: Recorder = ui if isinstance(ui, Recorder) else Recorder(ui)
        self.ui.lang = lang
        self.lang = lang
        self.glossary = glossary
        self.save = save
        self.record = record  # --record FILE: the transcript, rewritten after every input
        self.route = route  # --path FILE: the steps the class follows, in order
        self.li = 0
        self.si = 0
        self.running = True
        self.inputs: list[str] = []  # code that ran without error in this step's namespace
        self.history: list[str] = []  # every input run in this step's namespace, errors too
        self.last_judgement: pipeline.Judgement | None = None
        self.last_run: tuple[str, RunResult] | None = None
        self._ns_key: tuple[str, str] | None = None
        self._last_verdict: Verdict | None = None
        self.shown_verdict: Verdict | None = None  # the last verdict shown, for /verdict
        self._index: ask.Index | None = None
        self._sandbox_failed = False
        self._clock = time.monotonic()
        self._output_ends_line = True
        self._no_gpu = False  # the current step needs a GPU this machine lacks
        self.explored: tuple[str, str] | None = None  # the step where exploring was explained
        self.hinted: set[tuple[str, str, str]] = set()  # (lesson, step, rule) hints shown
        self.said_goodbye = False

    # -- where we are ---------------------------------------------------------

    @property
    def lesson(self) -> Lesson:
        return self.lessons[self.li]

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.si]

    @property
    def key(self) -> tuple[str, str]:
        return self.lesson.id, self.step.id

    def show(self, *renderables: Any) -> None:
        self.ui.show(*renderables)

    def say(self, key: str, style: str = "", **fields: Any) -> None:
        """Show one of the tutor's own strings (Markdown, or styled text)."""
        text = t(key, self.lang, **fields)
        self.show(render.note(text.replace("`", ""), style) if style else render.tutor_says(text))

    def find_start(self, lesson_id: str | None, step_id: str | None) -> tuple[int, int] | Miss:
        """Where to begin (``places.start_place``); a ``Miss`` for an unknown lesson or step.
        On a route with no lesson asked: where the route resumes (``places.route_start``)."""
        position = self.store.position()
        if self.route is not None and lesson_id is None and step_id is None:
            return places.route_start(
                self.lessons, self.route, position, lambda les, st: self.store.get(les, st).status
            )
        return places.start_place(self.lessons, position, lesson_id, step_id)

    # -- the loop ---------------------------------------------------------------

    def run(self, lesson_id: str | None = None, step_id: str | None = None) -> int:
        """Greet, resume, then read and answer inputs until the learner leaves."""
        if not self.lessons:
            self.say("no_lessons")
            return 1
        start = self.find_start(lesson_id, step_id)
        if isinstance(start, Miss):
            # Nothing is shown or stored: a typo on the board must not move anyone.
            self.show(render.note(start.message(self.lang, "/lessons").replace("`", ""), "red"))
            self.say("start_unchanged", "dim")
            return 2
        resumed = lesson_id is None and self.store.position() is not None
        self.say("welcome" if self.save else "welcome_demo")
        self.tell_store()
        if not self.save:
            self.say("no_save", "dim")
        elif resumed:
            self.say("welcome_back", "dim")
        welcome.tell_device(self)
        if self.route is not None:
            minutes, rough = self.route.minutes
            self.say(
                "route_start",
                count=len(self.route.stops),
                time=render.minutes_word(minutes, rough, self.lang),
            )
        elif lesson_id is None and step_id is None and self.store.position() is None:
            welcome.show_course_map(self)
        self.goto(*start)
        while self.running:
            # Read.
            text = self.ui.read()
            if text is None:
                break
            self._tick()
            # Eval, Print (each handler renders what it did).
            try:
                self.handle(text)
            except Exception as exc:  # noqa: BLE001 - one bad input must not end the session
                self.internal_error(exc)
            self.tell_store()
            self.save_record()
        self._tick()
        self.goodbye()
        self.save_record()
        return 0

    def tell_store(self) -> None:
        """Say what happened to the progress file (a write failed, it works again ...)."""
        for notice in self.store.take_notices():
            self.show(render.note(notice.text(self.lang).replace("`", ""), "yellow"))

    def goodbye(self) -> None:
        """The last word: saved, or plainly what was not saved and where its copy is."""
        unsaved = self.store.finish()
        self.tell_store()
        self.said_goodbye = True
        if unsaved is None:
            self.say("bye" if self.save else "bye_nosave", "dim")
            return
        said, _, data = unsaved.text(self.lang).partition("\n")
        self.show(render.note(said.replace("`", ""), "red"))
        if data:  # no copy could be written: the data itself, as it must be kept
            self.show(render.note(data, ""))

    def internal_error(self, exc: Exception) -> None:
        """A bug of the tutor's own: say so in a line, keep the traceback in a log, go on."""
        import tempfile
        import traceback

        log = Path(tempfile.gettempdir()) / "torch-tutor-error.log"
        try:
            with log.open("a", encoding="utf-8") as f:
                f.write(time.strftime("%Y-%m-%d %H:%M:%S\n"))
                f.write("".join(traceback.format_exception(exc)) + "\n")
        except OSError:
            log = Path("-")
        error = f"{type(exc).__name__}: {exc}"[:200]
        self.say("internal_error", "red", error=error, log=str(log))

    def save_record(self) -> None:
        """Rewrite the --record transcript (after each input, so a killed tutor keeps it)."""
        if self.record is None:
            return
        try:
            self.ui.save(self.record)
        except OSError as exc:
            self.record = None
            self.say("save_failed", "red", error=str(exc))

    def _tick(self) -> None:
        """Add the time since the last input to the current step (idle time capped)."""
        now = time.monotonic()
        spent, self._clock = min(now - self._clock, _MAX_IDLE), now
        if self.lessons:
            self.store.add_time(*self.key, spent)

    def handle(self, text: str) -> None:
        """Answer one input: a command, a look-up, a question, an answer, or code."""
        stripped = text.strip()
        inspect = _INSPECT.match(stripped)
        bare = commands.BARE.get(stripped.lower())
        if bare and self.lessons and pipeline.names_answer(self.step, stripped):
            bare = None  # a quiz's answer that is also a command word ("help"): an answer
        if not stripped:
            self.on_empty()
        elif bare:
            # A beginner's "quit" or "hint": do it, and show the slash form once more.
            self.say("bare_command", "dim", word=stripped, command=bare)
            commands.dispatch(self, "/" + bare)
        elif stripped.startswith("??"):
            self.answer_question(stripped[2:])
        elif inspect:
            self.inspect(inspect.group(1) or inspect.group(2))
        elif stripped.startswith("/"):
            commands.dispatch(self, stripped)
        elif self.step.kind in ("quiz", "predict") and not self._exploring(stripped):
            if ask.asks_outright(stripped) and not self._names_choice(stripped):
                self.answer_question(stripped)
            else:
                self.answer(stripped)
        elif ask.is_question(stripped):
            self.answer_question(stripped)
        else:
            self.run_code(text)

    def _exploring(self, text: str) -> bool:
        """At a quiz or predict prompt, code that is plainly not an answer runs instead: a
        statement (``y = w * 3``), ``print(...)``, or an expression that reads one of the
        learner's variables or computes something (``x.grad``, ``torch.arange(3)``). An
        answer stays an answer: a choice's number or words, or a printed value."""
        step = self.step
        if step.choices and pipeline.answer_key(step, text).isdigit():
            return False
        if pipeline.printed_value(text):
            return False  # typed output, such as tensor([1, 2])
        if step.kind != "predict" or step.choices:
            if codeinfo.looks_like_code(text):
                return True
        return codeinfo.explores(text, self._defined_names())

    def _defined_names(self) -> set[str]:
        """The learner's variable names, when the sandbox can say at once."""
        sb = self.sandbox
        if sb is None or self._ns_key is None or not sb.is_ready():
            return set()
        try:
            rows = sb.call("vars")
        except Exception:  # noqa: BLE001 - unknown: nothing counts as defined
            return set()
        return {str(r.get("name")) for r in rows or () if isinstance(r, dict)}

    def _names_choice(self, text: str) -> bool:
        """Whether ``text`` picks one of the step's choices (then it is an answer, not a
        question)."""
        return bool(self.step.choices) and pipeline.answer_key(self.step, text).isdigit()

    def on_empty(self) -> None:
        if self.step.kind == "read" or self._no_gpu:
            self.advance()
        elif self.step.kind in ("quiz", "predict"):
            self.say(render.answer_prompt(self.step), "dim")

    # -- moving between steps -----------------------------------------------------

    def goto(self, li: int, si: int) -> None:
        """Show step ``si`` of lesson ``li`` and remember the position."""
        self.li, self.si = li, si
        self.inputs = []
        self.history = []
        self.last_run = None
        self._last_verdict = None
        self.last_judgement = None
        if self._ns_key is not None and self.step.kind in ("code", "explore", "predict"):
            self._ns_key = None  # a fresh namespace with this step's set-up on first use
        self.store.seen(*self.key)
        self.store.set_position(*self.key)
        exercises = self._exercises()
        done = sum(self.store.get(self.lesson.id, s.id).status == "passed" for s in exercises)
        self.show(
            render.progress_line(
                lesson_number(self.lesson, li),
                si + 1,
                len(self.lesson.steps),
                done,
                len(exercises),
                self.lang,
                route=places.on_route(self.route, li, si),
            )
        )
        self.show(render.step_panel(self.lesson, self.step, self.lang))
        self._no_gpu = False
        if self.step.device == "gpu":
            self._skip_without_gpu()
        pipeline.start_ahead(self.sandbox, self.lesson, self.step, self._no_gpu)

    def _exercises(self) -> list[Step]:
        """This lesson's exercises: the steps that check an answer."""
        return [s for s in self.lesson.steps if s.kind in ("code", "quiz", "predict")]

    def _skip_without_gpu(self) -> None:
        """A GPU step on a machine without one: say so; Enter goes on."""
        sb = self.ready_sandbox()
        if sb is None or not pipeline.needs_gpu(sb, self.step):
            return
        self._no_gpu = True
        if self.store.get(*self.key).status != "passed":
            self.store.set_status(*self.key, "skipped")
        self.say("gpu_skip", "yellow")

    def advance(self) -> None:
        """The next step, stop of the route, lesson, or the end (``moves.advance``)."""
        moves.advance(self)

    def lesson_complete(self, lesson: Any) -> bool:
        """Every exercise of ``lesson`` passed or skipped (nothing left to do in it)."""
        checked = [s for s in lesson.steps if s.kind in ("code", "quiz", "predict")]
        return all(self.store.get(lesson.id, s.id).status in ("passed", "skipped") for s in checked)

    def exercises_done(self, lesson: Any) -> tuple[int, int]:
        """(passed, total) of a lesson's exercises (code, quiz, predict), as the progress line
        counts them: a skipped exercise is not a done one."""
        checked = [s for s in lesson.steps if s.kind in ("code", "quiz", "predict")]
        done = sum(self.store.get(lesson.id, s.id).status == "passed" for s in checked)
        return done, len(checked)

    def back(self) -> None:
        """The previous step or stop of the route (``moves.back``)."""
        moves.back(self)

    # -- the sandbox ----------------------------------------------------------------

    def ready_sandbox(self) -> Sandbox | None:
        """The sandbox once PyTorch is up (a spinner while it starts), or None if it cannot."""
        sb = self.sandbox
        if sb is None or self._sandbox_failed:
            self.say("no_sandbox", "red", error="—")
            return None
        if not sb.is_ready():
            try:
                with self.ui.busy(t("starting", self.lang)):
                    ok = sb.wait_ready(180)
            except KeyboardInterrupt:
                return None
            if not ok:
                # Not remembered: the next input tries again (a killed zygote is replaced).
                self.say("no_sandbox", "red", error=sb.start_failure())
                return None
        return sb

    def ensure_namespace(self, fresh: bool = False) -> Sandbox | None:
        """The sandbox with this step's namespace ready (set-up run once per step)."""
        sb = self.ready_sandbox()
        if sb is None:
            return None
        if (
            fresh
            or self._ns_key is None
            or (self._ns_key != self.key and self.step.kind in ("code", "explore"))
        ):
            step = self.step
            setup = step.setup if step.kind in ("code", "explore", "predict") else ""
            result = sb.new_namespace(pipeline.effective_setup(step, setup), step.seed)
            if result.outcome != "ok":
                self.show(*render.outcome(result, self.lang))
            self._ns_key = self.key
            self.inputs = []
            self.history = []
        return sb

    def _write_output(self, text: str) -> None:
        if text:
            self.ui.write_output(render.wrap_warnings(text, self.lang, self.ui.console.width))
            self._output_ends_line = text.endswith("\n")

    def run_code(self, code: str, attempt: bool = False) -> None:
        """Run the learner's code (output streamed), explain errors, then check.

        The check is quiet (only an attempt's failure is told) unless ``attempt``:
        code from ``/edit`` or ``/solution`` is always an answer.
        """
        from tutor.sandbox import SandboxError

        try:
            sb = self.ensure_namespace()
            if sb is None:
                return
            self._output_ends_line = True
            seed = self.step.seed if self.step.kind == "code" else None
            pipeline.before_run(sb, self.step, self.inputs, code)
            with (
                pipeline.step_limit(sb, self.step),
                elapsed.writing(self.ui, self.lang, self._write_output) as write,
            ):
                result = sb.run(code, on_output=write, seed=seed, echo=True)
        except SandboxError as exc:
            self.say("sandbox_trouble", "red", error=str(exc))
            return
        if not self._output_ends_line:
            self.ui.write_output("\n")
        shapes = visuals.shapes_of(sb) if result.outcome == "error" else None
        self.show(
            *render.outcome(result, self.lang, code=code, shapes=shapes, quiet=self.step.quiet)
        )
        visuals.after_run(sb, code, result, self.lang, self.show, plain=False)
        if result.restarted:
            # A new worker replayed the inputs that ran cleanly: that is all it holds now.
            self.history = list(self.inputs)
        self.history.append(code)
        if result.outcome == "ok":
            self.inputs.append(code)
        self.last_run = (code, result)
        if self.step.kind == "code" and result.outcome in ("ok", "error") and not self._no_gpu:
            self.judge(code, result, quiet=not attempt)

    def judge(self, code: str, result: RunResult, quiet: bool) -> None:
        """Check the step; a pass is always told, a failure only for an attempt (or /check).

        The answer is this input and the earlier ones it builds on; when earlier tries
        changed the namespace, it is judged again from the set-up (``pipeline.judge_at_prompt``).
        """
        from tutor.sandbox import SandboxError

        history = self.history if self.history and self.history[-1] == code else [code]
        clean = self.inputs[:-1] if self.inputs and self.inputs[-1] == code else self.inputs
        sb = self.sandbox
        if sb is None:  # code ran, so there is a sandbox; this says so to the type checker
            return
        try:
            judged = pipeline.judge_at_prompt(
                sb,
                self.lesson,
                self.step,
                history,
                clean,
                code,
                result,
                self.lang,
            )
        except SandboxError as exc:
            self.say("sandbox_trouble", "red", error=str(exc))
            return
        # PyTorch's error explained in the verdict, as check and watch explain it.
        explained = errors.explain_verdict(
            judged.verdict, judged.code, self.lang, off=self.step.quiet
        )
        judged = dataclasses.replace(judged, verdict=explained)
        self.last_judgement = judged
        verdict = judged.verdict
        error = result.error.type if result.outcome == "error" and result.error else None
        attempt = pipeline.is_attempt(self.step, code, error)
        if verdict.passed or attempt:
            found = mistakes(verdict, result.outcome, result.error, judged.code, self.lang)
            self.store.attempt(*self.key, judged.code, verdict.passed, found.ids, found.checks)
        # The error and its explanation are on screen when this run raised, and the verdict
        # is about the same run (or a rerun that raised the same way).
        shown = result.outcome == "error" and (
            not judged.rerun or any(c.name == "error" and not c.passed for c in verdict.checks)
        )
        if verdict.passed:
            self.show_verdict(verdict, error_shown=shown)
            if judged.rerun:
                remarks.tell_rerun(self, judged, raised=result.outcome == "error")
            if self.step.explanation:
                self.show(render.explanation(self.step.explanation.get(self.lang), self.lang))
            self.advance()
            return
        if shown and attempt:
            # The error and its explanation say what went wrong; a table of
            # "not defined" rows would only repeat it. The lesson's own words still count.
            said = render.chosen_feedback(verdict.feedback, error_shown=True)
            self.show(render.note(t("error_not_yet", self.lang), "yellow"), *render.feedback(said))
        elif not quiet or (attempt and verdict != self._last_verdict):
            self.show_verdict(verdict, error_shown=shown)
        elif attempt:
            # The same failure again (say after print(x)): one line, not the whole table.
            self.show(render.verdict_brief(verdict, self.lang))
        else:
            remarks.tell_exploring(self, code)
        if (attempt or not quiet) and judged.rerun and verdict != self._last_verdict:
            remarks.tell_rerun(self, judged)
        self._last_verdict = verdict

    def show_verdict(self, verdict: Any, *, error_shown: bool = False) -> None:
        """Show a verdict (a long table folded to its failing rows); ``/verdict`` shows it
        again in full."""
        self.shown_verdict = verdict
        self.show(render.verdict(verdict, self.lang, error_shown=error_shown))

    # -- quiz and predict --------------------------------------------------------------

    def answer(self, text: str) -> None:
        """Check a quiz or predict answer; a predict step then shows what the code prints."""
        step = self.step
        output = None
        if step.kind == "predict":
            output = self.predict_output()
            if output is None:
                return
            verdict = pipeline.check_predict(step, text, output, self.lang)
        else:
            verdict = pipeline.check_quiz(step, text, self.lang)
        found = mistakes(verdict, "ok", None, text, self.lang)
        self.store.attempt(*self.key, text, verdict.passed, found.ids, found.checks)
        if output is not None and remarks.reveals_output(self, verdict.passed):
            self.show_verdict(pipeline.revealed(verdict, self.lang))
            remarks.show_real_output(self, output)
        else:
            self.show_verdict(verdict)
            if output is not None:  # a first wrong prediction: the output stays hidden
                self.say("predict_again", "dim")
        if verdict.passed:
            if step.explanation:
                self.show(render.explanation(step.explanation.get(self.lang), self.lang))
            self.advance()

    def predict_output(self) -> str | None:
        """What this predict step's code prints, run in a fresh namespace of its set-up."""
        sb = self.ready_sandbox()
        if sb is None:
            return None
        result = pipeline.run_predict(sb, self.step)
        self._ns_key = self.key
        return str(result.summary)

    # -- look-ups ------------------------------------------------------------------------

    def inspect(self, name: str) -> None:
        """``?name``: signature and docstring from the worker."""
        from tutor.sandbox import SandboxError

        sb = self.ready_sandbox()
        if sb is None:
            return
        try:
            info = sb.call("inspect", name=name)
        except SandboxError as exc:
            self.say("sandbox_trouble", "red", error=str(exc))
            return
        self.show(render.inspect_panel(info, self.lang))

    def index(self) -> ask.Index:
        if self._index is None:
            self._index = ask.build_index(self.lessons, self.glossary, self.lang)
        return self._index

    def answer_question(self, question: str) -> None:
        """A question in plain words, answered from the glossary and the lessons."""
        here = (self.lesson.id, self.step.id) if self.lessons else None
        self.show(render.answers(self.index().search(question, here=here), self.lang))

    def set_lang(self, lang: str) -> None:
        """Switch the language of the tutor, the lessons and the sandbox's messages."""
        self.lang = lang
        self.ui.lang = lang
        self._index = None
        if self.sandbox is not None:
            self.sandbox.lang = lang
        self.ui.set_lang(lang)  # the prompt's own hints follow


start_place = places.start_place  # where --lesson/--step start (app checks it first)

__all__ = ["Session", "lesson_number", "start_place"]
