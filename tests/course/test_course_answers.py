"""The whole course, answered as a learner answers it: every trap, then the reference solution,
without ``/reset``, at the prompt (the session's own code path, real sandbox) and in editor
mode; and ``check --json`` agrees with the prompt on every trap.

One warm sandbox serves the module: each step gets a fresh namespace from a fork of the
zygote, as at the prompt, never a new zygote.
"""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from tutor import cli, pipeline
from tutor.course import Lesson, Step, load_course
from tutor.course.files import course_dirs
from tutor.progress import Store
from tutor.render import errors
from tutor.sandbox import Sandbox
from tutor.session.conversation import Session
from tutor.session.ui import ScriptUI
from tutor.session.watch import Watcher

LESSONS, _ = load_course(course_dirs())
CODE_STEPS = [
    pytest.param(li, si, id=f"{lesson.id}.{step.id}")
    for li, lesson in enumerate(LESSONS)
    for si, step in enumerate(lesson.steps)
    if step.kind == "code"
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(device="cpu", timeout=30)
    sb.start()
    assert sb.wait_ready(180)
    yield sb
    sb.close()


def _skip_gpu(sandbox: Sandbox, step: Step) -> None:
    if pipeline.needs_gpu(sandbox, step):
        pytest.skip("the step needs a GPU")


def _traps(sandbox: Sandbox, step: Step) -> list[Any]:
    """The step's traps that apply here (one showing a missing GPU needs a machine without)."""
    gpu = sandbox.gpu_available
    return [t for t in step.traps if not (t.without_gpu and gpu)]


def _session(sandbox: Sandbox, li: int, si: int, lang: str = "en") -> Session:
    session = Session(LESSONS, sandbox, Store(None), ScriptUI([], width=100), lang, save=False)
    session.goto(li, si)
    return session


def _lines(code: str) -> list[str]:
    """``code`` as a learner types it at the prompt: one input per statement (a class or a loop,
    blank lines and all, is one input, as it is pasted)."""
    tree = ast.parse(code)
    return [ast.get_source_segment(code, node) or "" for node in tree.body]


def _passed(session: Session, lesson: Lesson, step: Step) -> bool:
    return session.store.get(lesson.id, step.id).status == "passed"


def _ids(verdict: Any) -> list[str]:
    return [f.id for f in verdict.feedback]


def _promised(trap: Any, verdict: Any) -> bool:
    """Whether a failing verdict says what the trap promises (its feedback, or its check)."""
    failed = [c.name for c in verdict.checks if not c.passed]
    if trap.feedback and trap.feedback not in _ids(verdict):
        return False
    return not trap.fails or any(f == trap.fails or f.startswith(trap.fails + ".") for f in failed)


@pytest.mark.parametrize(("li", "si"), CODE_STEPS)
def test_every_trap_then_the_solution_passes_at_the_prompt(sandbox: Sandbox, li: int, si: int):
    """Each trap typed in turn keeps its feedback; the solution then passes, typed whole or a line
    at a time, whatever the traps left in the namespace."""
    lesson, step = LESSONS[li], LESSONS[li].steps[si]
    _skip_gpu(sandbox, step)
    for by_line in (False, True):
        session = _session(sandbox, li, si)
        for trap in _traps(sandbox, step):
            session.handle((trap.code or "").strip())
            assert not _passed(session, lesson, step), f"the trap {trap.code!r} passed"
            judged = session.last_judgement
            assert judged is not None and _promised(trap, judged.verdict), (
                f"after the traps before it, {trap.code!r} got {_ids(judged.verdict)}, "
                f"not {trap.feedback or trap.fails}"
            )
        for text in _lines(step.solution) if by_line else [step.solution.strip()]:
            session.handle(text)
        assert _passed(session, lesson, step), session.ui.ui.transcript()[-3000:]


@pytest.mark.parametrize(("li", "si"), CODE_STEPS)
def test_every_trap_then_the_solution_passes_in_editor_mode(
    sandbox: Sandbox, li: int, si: int, tmp_path: Path
):
    lesson, step = LESSONS[li], LESSONS[li].steps[si]
    _skip_gpu(sandbox, step)
    path = tmp_path / "answer.py"
    watcher = Watcher(sandbox, lesson, step.id, path)
    outcome, last = None, None
    for trap in _traps(sandbox, step):
        if trap.code != last:  # the same code saved again is not checked again: same verdict
            path.write_text(trap.code or "", encoding="utf-8")
            outcome, last = watcher.check_now(), trap.code
        assert outcome is not None and not outcome.verdict.passed, trap.code
        assert _promised(trap, outcome.verdict), (trap.code, _ids(outcome.verdict))
    path.write_text(step.solution, encoding="utf-8")
    outcome = watcher.check_now()
    assert outcome is not None and outcome.verdict.passed, outcome and outcome.verdict


class _Shared:
    """The module's sandbox lent to ``check``, which closes what it opens."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sandbox, name)

    def close(self) -> None:
        pass


def _check_json(sandbox: Sandbox, lesson: Lesson, step: Step, code: str, tmp: Path) -> Any:
    answer = tmp / "answer.py"
    answer.write_text(code, encoding="utf-8")
    out = io.StringIO()
    real = cli._sandbox
    cli._sandbox = lambda args: _Shared(sandbox)  # type: ignore[assignment]
    try:
        with redirect_stdout(out):
            cli.main(["--lang", "en", "check", lesson.id, step.id, str(answer), "--json"])
    finally:
        cli._sandbox = real  # type: ignore[assignment]
    return json.loads(out.getvalue())


def _rows(checks: Any) -> list[tuple[str, bool, str, str]]:
    """Each row as (name, passed, expected, got); a value read from uninitialised memory
    (``torch.empty``) differs from run to run, so values are compared by their verdict."""
    rows = []
    for c in checks:
        c = c if isinstance(c, dict) else c.__dict__
        got = "" if c["name"].endswith(".values") else c["got"]
        rows.append((c["name"], c["passed"], c["expected"], got))
    return sorted(rows)


@pytest.mark.parametrize(("li", "si"), CODE_STEPS)
def test_check_json_and_the_prompt_agree_on_every_trap(
    sandbox: Sandbox, li: int, si: int, tmp_path: Path
):
    """The same verdict, rows and feedback ids from ``check --json`` as at the prompt."""
    lesson, step = LESSONS[li], LESSONS[li].steps[si]
    _skip_gpu(sandbox, step)
    for trap in _traps(sandbox, step):
        code = (trap.code or "").strip()
        session = _session(sandbox, li, si)
        session.handle(code)
        judged = session.last_judgement
        assert judged is not None
        data = _check_json(sandbox, lesson, step, code, tmp_path)
        assert data["passed"] is judged.verdict.passed is False, code
        assert [f["id"] for f in data["feedback"]] == _ids(judged.verdict), code
        assert _rows(data["checks"]) == _rows(judged.verdict.checks), code
        _, run = session.last_run or ("", None)
        if run is not None and run.outcome == "error" and run.error is not None:
            # the "What this means" box the prompt showed is check's explanation too
            box = errors.explain(run.error.type, run.error.message, code=code)
            assert box is None or box.feedback.id in [f["id"] for f in data["feedback"]], code
