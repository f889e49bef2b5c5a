"""The tutor's one-line remarks around a verdict: an answer judged again from the set-up,
trying things out at a code step, and what a predict step's code really prints.
``session`` is the ``tutor.session.conversation.Session`` (not imported: it imports this
module)."""

from __future__ import annotations

from typing import Any

from tutor import codeinfo, pipeline
from tutor.i18n import t
from tutor.render import chat as render
from tutor.render.terminal import as_shown

# A predict step shows what its code really prints once the prediction is right, after
# this many wrong ones, or after /solution.
PREDICT_TRIES = 2


def tell_rerun(session: Any, judged: pipeline.Judgement, raised: bool = False) -> None:
    """Say in a line that earlier tries changed the namespace and the answer ran again.

    ``raised``: the live run raised the error shown above; a pass from the start then
    says that error came from an earlier try, not from the answer."""
    if raised and judged.verdict.passed:
        session.show(render.tutor_says(t("rerun_passed_raised", session.lang)))
        return
    if not judged.changed:
        if judged.verdict.passed:
            session.say("rerun_passed_any", "dim")
        return
    sep = t("language.list_sep", session.lang)
    names = sep.join(f"`{n}`" for n in judged.changed)
    if judged.verdict.passed:
        key = "rerun_passed"
    else:
        given = codeinfo.assigned(session.step.setup)
        key = (
            "rerun_failed"
            if {n.split(".")[0] for n in judged.changed} & given
            else "rerun_failed_plain"
        )
    session.show(render.tutor_says(t(key, session.lang, names=names)))


def tell_exploring(session: Any, code: str) -> None:
    """Input that only tries things out is not marked; the first time in a step that it reads
    one of the step's names, say so in one quiet line, naming what would count."""
    watched = session.step.watch_names
    if session.explored == session.key or not codeinfo.names(code) & set(watched):
        return
    session.explored = session.key
    session.say("exploring", "dim", names=render.name_list(watched, session.lang))


def reveals_output(session: Any, passed: bool) -> bool:
    """Whether a predict step may show what its code prints now (the answer was just stored)."""
    record = session.store.get(*session.key)
    return passed or record.status == "passed" or record.attempts >= PREDICT_TRIES


def show_real_output(session: Any, output: str) -> None:
    """What a predict step's code really prints, as the terminal shows it."""
    session.show(
        render.note(t("real_output", session.lang), "dim"),
        render.code(render.label_warnings(as_shown(output), session.lang) or " "),
    )
