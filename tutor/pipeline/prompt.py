"""The answer at the prompt, not the history: which inputs make the answer, and when it runs
again from the set-up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor import codeinfo
from tutor.course.lesson import PROPS, Lesson, Step
from tutor.judge.verdict import Verdict
from tutor.pipeline.code import (
    _check_answer,
    check_variants,
    judge_live,
    limited,
    prepare,
    speculate,
)


@dataclass(frozen=True)
class Judgement:
    """The verdict on what the learner typed at the prompt, and how it was reached.

    ``answer``: the inputs judged as the answer (this input and those it builds on).
    ``rerun``: the verdict comes from running the answer again from the step's set-up,
    because earlier tries had changed the live namespace. ``changed``: what those tries
    changed, as a learner would name it (``x``, ``x.grad``), most telling first.
    ``on_given``: the answer was judged on the set-up's values, not on a value an earlier
    input of the learner gave a set-up name.
    """

    verdict: Verdict
    answer: tuple[str, ...]
    rerun: bool = False
    changed: tuple[str, ...] = ()
    on_given: bool = False

    @property
    def code(self) -> str:
        return "\n".join(self.answer)


def answer_names(step: Step) -> set[str]:
    """The variables a step checks (the root of ``x.grad`` is ``x``)."""
    names = list(step.check)
    for e in step.expects:
        names += [n for n in (e.var, e.shares_memory_with, e.independent_of) if n]
        names += list(e.uses)
    return {n.split(".")[0] for n in names}


@limited
def judge_at_prompt(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    history: Sequence[str],
    clean: Sequence[str],
    code: str,
    run: Any,
    lang: str = "en",
) -> Judgement:
    """Judge an input typed at the prompt: the answer, not the history.

    ``history``: every input run in the live namespace since the set-up, this one
    last; ``clean``: the earlier ones that ran without error. The live namespace is
    judged first, with the answer built on the clean inputs. When it fails and
    earlier inputs may have changed what the answer uses (or it passes but not on a
    variant), the answer runs again from the set-up through ``check_answer``, read
    each way ``candidates`` gives; the first that passes wins, else the verdict that
    fails least is the answer's.
    """
    wanted = answer_names(step)
    given = codeinfo.assigned(step.setup)
    built = codeinfo.answer_inputs(list(clean), code, wanted)
    verdict = judge_live(sandbox, lesson, step, "\n".join(built), run, lang)
    tries = candidates(list(history[:-1]), list(clean), code, wanted, given)
    if verdict.passed:
        varied = check_variants(sandbox, lesson, step, built, lang, echo=True)
        if varied is None:
            return Judgement(verdict, tuple(built))
        verdict, tries = varied, [t for t in tries if t != built]
    elif tries == [built] and not _may_matter(
        _left_out(history, built), built, wanted | given, step
    ):
        return Judgement(verdict, tuple(built))
    failed: list[tuple[list[str], Verdict, bool]] = []
    for pieces in tries[:_MAX_RERUNS]:
        fresh, ran_clean = _check_answer(sandbox, lesson, step, pieces, lang, True)
        if fresh.passed:
            changed = _changed(verdict, fresh, history, pieces, given)
            return Judgement(fresh, tuple(pieces), True, changed, pieces != built)
        failed.append((pieces, fresh, ran_clean))
    if not failed or any(c.name == "variant" for c in verdict.checks):
        return Judgement(verdict, tuple(built))  # right here, wrong on a variant: say so
    # A reading whose earlier input fails from the start is about that input: the last resort.
    pieces, fresh, _ = min(failed, key=lambda tried: (not tried[2], *_failing(tried[1])))
    changed = _changed(verdict, fresh, history, pieces, given)
    return Judgement(fresh, tuple(pieces), True, changed, pieces != built)


# Each rerun forks a worker and runs the set-up and the answer: a few at most per input.
_MAX_RERUNS = 4


def candidates(
    earlier: list[str], clean: list[str], code: str, wanted: set[str], given: set[str]
) -> list[list[str]]:
    """What the learner may mean as the answer, most likely first.

    ``code`` on the set-up's values (built on the clean earlier inputs for other
    names); then on the last one, two ... earlier inputs, errors included (an input
    that raised only because of what came before it may belong to the answer: the
    rerun tells); last, built on every clean input.
    """
    found = [codeinfo.answer_inputs(clean, code, wanted, given)]
    for since in range(len(earlier) - 1, -1, -1):
        found.append(codeinfo.answer_inputs(earlier, code, wanted, given, since))
    found.append(codeinfo.answer_inputs(clean, code, wanted))
    unique: list[list[str]] = []
    for pieces in found:
        if pieces not in unique:
            unique.append(pieces)
    return unique


def _failing(verdict: Verdict) -> tuple[int, int]:
    """How far a verdict is from a pass: an error first, then the failing rows."""
    rows = [c for c in verdict.checks if not c.passed]
    return (any(c.name == "error" for c in rows), len(rows))


def _left_out(history: Sequence[str], pieces: Sequence[str]) -> list[str]:
    """The inputs of ``history`` that are not part of the answer ``pieces``."""
    rest = list(pieces)
    out = []
    for code in history:
        if code in rest:
            rest.remove(code)
        else:
            out.append(code)
    return out


def _may_matter(left_out: list[str], pieces: list[str], names: set[str], step: Step) -> bool:
    """Whether inputs left out of the answer may have changed what the answer or the checks
    see: they bind or change a name the answer reads, the step checks, or the set-up gave."""
    seen = names | {n.split(".")[0] for n in step.capture_names}
    for code in pieces:
        seen |= codeinfo.names(code)
    return any((codeinfo.assigned(c) | codeinfo.mutated(c)) & seen for c in left_out)


_PROP_NAMES = frozenset([p for p in PROPS if p != "grad"] + ["shares_memory", "independent"])


def _label(check_name: str) -> str | None:
    """The thing a check row is about, as a learner names it: ``x.values`` -> ``x``,
    ``x.grad`` -> ``x.grad``; None for rows about no name (``error``, ``calls``)."""
    if "." not in check_name:
        return None
    head, _, prop = check_name.rpartition(".")
    return head if prop in _PROP_NAMES else check_name


def _changed(
    live: Verdict, fresh: Verdict, history: Sequence[str], pieces: list[str], given: set[str]
) -> tuple[str, ...]:
    """What earlier tries changed, as a learner names it (``x``, ``x.grad``): the names whose
    rows fail live but not from the start, those the left-out inputs touched first."""
    still = {c.name for c in fresh.checks if not c.passed}
    labels = list(
        dict.fromkeys(
            label
            for c in live.checks
            if not c.passed and c.name not in still
            for label in [_label(c.name)]
            if label
        )
    )
    touched: set[str] = set()
    for code in _left_out(history, pieces):
        touched |= codeinfo.assigned(code) | codeinfo.mutated(code)
    for code in pieces:
        touched -= codeinfo.defined(code)  # the answer makes these itself
    for pick in (
        [x for x in labels if x.split(".")[0] in touched],
        [x for x in labels if x.split(".")[0] in given],
        sorted(touched & given),
    ):
        if pick:
            return tuple(pick[:3])
    return tuple(labels[:3])


# Methods that change a model or an optimizer though their names have no trailing underscore.
_CHANGES_OBJECT = frozenset({"step", "zero_grad", "train", "eval", "load_state_dict", "apply"})


def is_attempt(step: Step, code: str, error_type: str | None = None) -> bool:
    """Whether an input is an attempt at the task, so that a failure is told.

    An attempt binds or changes one of the step's watched names (``x = ...``,
    ``x += 1``, ``x.add_(1)``, ``x.grad = None``, ``opt.step()``), calls one of the
    calls the step requires (``must_call``), or calls ``backward()`` in a step whose
    answer does. In a step that checks printed output, printing is the task, so an
    input that mentions a watched name or calls ``print`` counts too; so does a bare
    expression that does to a name what the answer does (``x.mul(2)`` for ``x.mul_(2)``,
    ``g.cpu()`` for ``h = g.cpu()``). Anything else
    (``print(x)``, ``x.shape``, a loop that prints ``x[i]``) is exploration: it runs
    and is not marked, whether or not it raised (``error_type`` is kept for callers).
    """
    del error_type  # an error in exploration is explained above the prompt, not marked
    watched = set(step.watch_names)
    if (codeinfo.assigned(code) | codeinfo.mutated(code) | _object_changes(code)) & watched:
        return True
    required = [p for e in step.expects for p in e.must_call or ()]
    if codeinfo.calls_any(code, required):
        return True
    if codeinfo.calls_any(code, ["backward"]) and codeinfo.calls_any(step.solution, ["backward"]):
        return True
    if any(e.output is not None or e.output_contains or e.same_output for e in step.expects):
        return bool(codeinfo.names(code) & watched) or bool(codeinfo.calls_any(code, ["print"]))
    # A bare expression doing to a watched name what the answer does (``x.mul(2)`` where
    # the answer is ``x.mul_(2)``, ``g.cpu()`` without keeping the result) tries the task.
    # The answer's own names count here: ``g.cpu()`` where the answer is ``h = g.cpu()``.
    roots = watched | codeinfo.names(step.solution)
    return bool(codeinfo.bare_uses(code, roots) & codeinfo.uses(step.solution, roots))


def _object_changes(code: str) -> set[str]:
    """The names whose model or optimizer ``code`` changes by a method call (``opt.step()``)."""
    return {
        name.split(".")[0]
        for name in codeinfo.calls(code)
        if "." in name and name.rsplit(".", 1)[1] in _CHANGES_OBJECT
    }


def start_ahead(sandbox: Any, lesson: Lesson, step: Step, skipped: bool = False) -> None:
    """A code step on screen: its references computed in a background thread while the
    learner reads (``code.prepare``), so no verdict waits for them."""
    if step.kind == "code" and sandbox is not None and not skipped and sandbox.is_ready():
        import threading

        args = (sandbox, lesson, step)
        threading.Thread(target=prepare, args=args, daemon=True).start()


def before_run(sandbox: Any, step: Step, inputs: Sequence[str], code: str) -> None:
    """An input that may be the answer (it names a checked name) to a step with variants: its
    variant runs start beside its live run (``code.speculate``)."""
    if step.kind == "code" and step.variants and is_attempt(step, code):
        pieces = codeinfo.answer_inputs(list(inputs), code, answer_names(step))
        speculate(sandbox, step, pieces)
