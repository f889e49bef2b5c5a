"""Code answers: a fresh run from the set-up (``check``, ``watch``, ``validate``, and the prompt
when it judges an answer again) or the live namespace (the prompt) -> snapshot -> the
reference (cached per sandbox, step, set-up and seed) -> judge -> Verdict, and again on each
variant once the answer passes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tutor import codeinfo
from tutor.course.lesson import Lesson, Step, Variant
from tutor.i18n import t
from tutor.judge.verdict import Check, JudgeRequest, RunJson, Verdict

if TYPE_CHECKING:
    from tutor.sandbox import ReferenceRun, RunResult, Sandbox

_REFERENCES: weakref.WeakKeyDictionary[Sandbox, dict[tuple[Any, ...], ReferenceRun]] = (
    weakref.WeakKeyDictionary()
)


def _msg(key: str, lang: str, **fields: Any) -> str:
    return t(f"pipeline.{key}", lang, **fields)


def _error_text(run: RunResult) -> str:
    if run.error is not None:
        return f"{run.error.type}: {run.error.message}"
    return run.note or run.outcome


# ---------------------------------------------------------------- code steps


_CPU_PRELUDE = "torch.set_default_device('cpu')\ndevice = torch.device('cpu')\n"


def effective_setup(step: Step, setup: str | None = None) -> str:
    """The set-up to run for ``step``: a ``device = "cpu"`` step first pins the CPU.

    Front ends pass this to ``sandbox.new_namespace`` so the learner's namespace
    and the reference's agree even in a GPU session (NumPy steps need the CPU).
    """
    setup = step.setup if setup is None else setup
    return _CPU_PRELUDE + setup if step.device == "cpu" else setup


def needs_gpu(sandbox: Sandbox, step: Step) -> bool:
    """True when the step needs a GPU and the sandbox has none."""
    if step.device != "gpu":
        return False
    try:
        info = sandbox.device_info()
    except Exception:  # noqa: BLE001 - no info: assume no GPU
        return True
    return not (info.get("cuda") or info.get("mps"))


def reference(
    sandbox: Sandbox, lesson: Lesson, step: Step, setup: str, seed: int | None
) -> ReferenceRun:
    """The reference solution's run for a step, set-up and seed (cached while the sandbox lives)."""
    cache = _REFERENCES.setdefault(sandbox, {})
    key = (lesson.id, lesson.path, step.id, setup, seed, step.solution)
    if key not in cache:
        cache[key] = sandbox.reference(
            effective_setup(step, setup), step.solution, seed, list(step.capture_names)
        )
    return cache[key]


def _pieces(code: str | Sequence[str]) -> list[str]:
    """An answer as the inputs that make it: a file is one input."""
    return [code] if isinstance(code, str) else list(code)


def _judge(
    sandbox: Sandbox,
    step: Step,
    learner_dir: str | None,
    ref: ReferenceRun,
    run: RunJson,
    code: str,
    lang: str,
) -> Verdict:
    """Ask the judge process for the verdict on a learner snapshot (deleted once judged)."""
    request: JudgeRequest = {
        "lang": lang,
        "step": step.spec(),
        "learner": learner_dir,
        "reference": ref.snapshot_dir,
        "learner_run": run,
        "reference_run": ref.to_json(),
        "code": code,
    }
    try:
        request["predicates"] = _predicates(sandbox, step, learner_dir)
        verdict = Verdict.from_json(sandbox.judge(request))
    finally:
        _discard(sandbox, learner_dir)
    return verdict


def judge_live(
    sandbox: Sandbox,
    lesson: Lesson,
    step: Step,
    code: str,
    run: RunResult,
    lang: str = "en",
    *,
    setup: str | None = None,
    seed: int | None = None,
) -> Verdict:
    """Judge the sandbox's current namespace after ``run`` (the REPL calls this after each input).

    ``code`` is the learner's code for the step (for must_call rules);
    ``setup`` and ``seed`` default to the step's.
    """
    setup = step.setup if setup is None else setup
    seed = step.seed if seed is None else seed
    ref = reference(sandbox, lesson, step, setup, seed)
    broken = _reference_problem(step, ref, lang)
    if broken is not None:
        return broken
    try:
        learner_dir = sandbox.snapshot(list(step.capture_names))
    except Exception as exc:  # noqa: BLE001 - e.g. the learner's code broke what saving needs
        return Verdict(
            False,
            (Check("error", False, "", str(exc).splitlines()[0][:300], _msg("snapshot", lang)),),
        )
    return _judge(sandbox, step, learner_dir, ref, _run_json(run), code, lang)


def _predicates(sandbox: Sandbox, step: Step, snapshot: str | None) -> dict[str, Any]:
    """The step's predicates evaluated in the sandbox's confined evaluator (not in the judge).

    A predicate the evaluator could not answer stays out, and the judge then says
    it could not be checked.
    """
    pairs = [(e.predicate, list(e.uses)) for e in step.expects if e.predicate]
    pairs += [(f.predicate, list(f.uses)) for f in step.feedback if f.predicate]
    evaluate = getattr(sandbox, "evaluate", None)
    if not pairs or evaluate is None or snapshot is None:
        return {}
    return evaluate(list(dict.fromkeys((p, tuple(u)) for p, u in pairs)), snapshot) or {}


def _discard(sandbox: Sandbox, directory: str | None) -> None:
    """Delete a learner snapshot once judged (references stay cached)."""
    discard = getattr(sandbox, "discard", None)
    if directory and discard is not None:
        discard(directory)


def _reference_problem(step: Step, ref: ReferenceRun, lang: str) -> Verdict | None:
    """A failed verdict when the reference solution did not run as the step expects."""
    raised_on_purpose = ref.outcome == "error" and any(e.raises for e in step.expects)
    if ref.snapshot_dir is not None and (ref.outcome == "ok" or raised_on_purpose):
        return None
    error = f"{ref.error.type}: {ref.error.message}" if ref.error else ref.outcome
    if ref.outcome in ("killed", "ok"):
        # Killed from outside, or it ran and its values could not be read: the sandbox
        # was taken down (by the learner's code, most likely), not the reference.
        error = error if ref.outcome == "killed" else ref.outcome
        return Verdict(
            False, (Check("sandbox", False, "", error, _msg("sandbox_lost", lang, error=error)),)
        )
    return Verdict(
        False, (Check("reference", False, "", error, _msg("reference", lang, error=error)),)
    )


def _run_json(run: RunResult | ReferenceRun) -> RunJson:
    data = run.to_json()
    return {"outcome": data["outcome"], "output": data["output"], "error": data["error"]}


def _fresh(
    sandbox: Any, step: Step, pieces: list[str], setup: str, seed: int | None, echo: bool
) -> Any:
    """Run an answer in a pristine worker after ``setup`` (the live namespace is untouched)."""
    return sandbox.run_fresh(
        effective_setup(step, setup), pieces, seed, list(step.capture_names), echo=echo
    )


def _check_once(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    pieces: list[str],
    lang: str,
    setup: str,
    seed: int | None,
    echo: bool = False,
) -> tuple[Verdict, bool]:
    """The verdict on one fresh run, and whether every input before the last ran cleanly (an
    earlier input that fails from the start makes a verdict about that input, not the last)."""
    mine = _fresh(sandbox, step, pieces, setup, seed, echo)
    clean = getattr(mine, "ran", len(pieces)) >= len(pieces) or mine.outcome == "ok"
    if getattr(mine, "stage", "answer") == "setup":
        error = _error_text(mine)
        failed = Verdict(
            False, (Check("setup", False, "", error, _msg("setup", lang, error=error)),)
        )
        return failed, clean
    ref = reference(sandbox, lesson, step, setup, seed)
    broken = _reference_problem(step, ref, lang)
    if broken is not None:
        _discard(sandbox, mine.snapshot_dir)
        return broken, clean
    code = "\n".join(pieces)
    return _judge(sandbox, step, mine.snapshot_dir, ref, _run_json(mine), code, lang), clean


def check_once(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    code: str | Sequence[str],
    lang: str,
    setup: str,
    seed: int | None,
) -> Verdict:
    """Check ``code`` once, from a fresh run of ``setup`` with ``seed`` (no variants)."""
    return _check_once(sandbox, lesson, step, _pieces(code), lang, setup, seed)[0]


def check_answer(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    code: str | Sequence[str],
    lang: str = "en",
    *,
    echo: bool = False,
) -> Verdict:
    """Check an answer to a code step from a fresh start, then on each variant.

    ``code`` is a file's text, or the inputs typed at the prompt that make the
    answer (each run as the prompt ran it: seeded, and with ``echo`` the value of a
    last expression printed). Every run is in a pristine worker, so the REPL's live
    namespace stays as the learner left it.
    """
    return _check_answer(sandbox, lesson, step, _pieces(code), lang, echo)[0]


def _check_answer(
    sandbox: Any, lesson: Lesson, step: Step, pieces: list[str], lang: str, echo: bool
) -> tuple[Verdict, bool]:
    if needs_gpu(sandbox, step):
        return Verdict(False, (Check("device", False, "gpu", "cpu", _msg("gpu", lang)),)), True
    verdict, clean = _check_once(sandbox, lesson, step, pieces, lang, step.setup, step.seed, echo)
    if not verdict.passed:
        return verdict, clean
    return check_variants(sandbox, lesson, step, pieces, lang, echo=echo) or verdict, clean


def check_file(
    sandbox: Sandbox,
    lesson: Lesson,
    step: Step,
    code: str,
    lang: str = "en",
    *,
    filename: str = "<answer>",
    on_output: Callable[[str], None] | None = None,
) -> tuple[Verdict, RunResult | None]:
    """``check_answer`` for a file that also returns the run (its output and traceback; None
    when the answer never ran). ``filename`` is what tracebacks call the code (editor mode:
    the file's path, so line numbers point into it); its output streams to ``on_output``.
    The file runs in a fresh namespace of the sandbox (its set-up, then the file), so the
    run keeps what a live run has (a restart note, the stream of output)."""
    if needs_gpu(sandbox, step):
        return Verdict(False, (Check("device", False, "gpu", "cpu", _msg("gpu", lang)),)), None
    start = sandbox.new_namespace(effective_setup(step), step.seed)
    if start.outcome != "ok":
        error = _error_text(start)
        check = Check("setup", False, "", error, _msg("setup", lang, error=error))
        return Verdict(False, (check,)), None
    run = sandbox.run(code, filename=filename, seed=step.seed, on_output=on_output)
    verdict = judge_live(sandbox, lesson, step, code, run, lang)
    if not verdict.passed:
        return verdict, run
    return check_variants(sandbox, lesson, step, code, lang) or verdict, run


def check_variants(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    code: str | Sequence[str],
    lang: str = "en",
    *,
    echo: bool = False,
) -> Verdict | None:
    """Run an answer that passed once more on each variant; the first failing verdict, or None.

    Each variant runs in a pristine worker of its own (``sandbox.run_fresh``), so the
    learner's live namespace in the REPL is left as it was. The failing verdict leads
    with a ``variant`` row that says what changed (the seed, a shape, the values); a
    variant whose reference failed (or a sandbox stopped from outside) says that instead.
    """
    for variant in step.variants:
        failed = _on_variant(sandbox, lesson, step, _pieces(code), variant, lang, echo)
        if failed is None:
            continue
        again, mine, ref = failed
        if mine is None or ref is None:
            return again  # not the answer's failure: say what happened, not "variant"
        main = reference(sandbox, lesson, step, step.setup, step.seed)
        lead = _variant_row(sandbox, step, variant, (main, ref), mine, lang)
        return Verdict(False, (lead, *again.checks), again.feedback, again.pictures)
    return None


def check_variant(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    code: str | Sequence[str],
    variant: Variant,
    lang: str = "en",
) -> Verdict | None:
    """``code`` judged on one variant: its failing verdict (a ``reference`` check when the
    reference solution itself failed there), or None when it passes."""
    failed = _on_variant(sandbox, lesson, step, _pieces(code), variant, lang, False)
    return None if failed is None else failed[0]


def _on_variant(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    pieces: list[str],
    variant: Variant,
    lang: str,
    echo: bool,
) -> tuple[Verdict, ReferenceRun | None, ReferenceRun | None] | None:
    """The failing verdict on one variant with the two runs behind it (None, None when the
    reference failed there), or None when the answer passes."""
    setup, seed = variant.setup_for(step), variant.seed_for(step)
    ref = reference(sandbox, lesson, step, setup, seed)
    broken = _reference_problem(step, ref, lang)
    if broken is not None:
        return broken, None, None
    mine = _fresh(sandbox, step, pieces, setup, seed, echo)
    again = _judge(sandbox, step, mine.snapshot_dir, ref, _run_json(mine), "\n".join(pieces), lang)
    return None if again.passed else (again, mine, ref)


def variant_text(step: Step, variant: Variant) -> str:
    """What a variant changes, as code on one line: its set-up, else the seed it sets."""
    if variant.setup is None:
        return f"torch.manual_seed({variant.seed_for(step)})"
    given = "; ".join(line.strip() for line in variant.setup.splitlines() if line.strip())
    return given if len(given) <= 80 else given[:77] + "..."


def _given_values(sandbox: Any, step: Step, runs: tuple[Any, Any]) -> list[dict[str, Any]]:
    """What the set-up's names hold in two reference runs (empty when the judge cannot say)."""
    names = sorted(
        codeinfo.assigned(step.setup)
        | {n for v in step.variants if v.setup for n in codeinfo.assigned(v.setup)}
    )
    try:
        # Two snapshot tokens as the request's own values, so the sandbox resolves them.
        before, after = (r.snapshot_dir for r in runs)
        answer = sandbox.judge({"op": "describe", "before": before, "after": after, "names": names})
        found = answer["snapshots"]
    except Exception:  # noqa: BLE001 - a plainer message is still true
        return [{}, {}]
    return [found[0] or {}, found[1] or {}]


def _shape(value: dict[str, Any]) -> str:
    shape = value.get("shape") or []
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _variant_row(
    sandbox: Any, step: Step, variant: Any, refs: tuple[Any, Any], mine: Any, lang: str
) -> Check:
    """The ``variant`` row: what changed (seed, shapes, values) and what that means."""
    own = variant.message.get(lang) if variant.message else ""
    raised = mine.outcome == "error" and mine.error is not None
    if variant.setup is None or variant.setup == step.setup:
        seed = step.seed if variant.seed is None else variant.seed
        text = own or _msg("variant_seed", lang, old=step.seed, new=seed)
        if raised:
            text += " " + _msg("variant_raised_seed", lang, error=_error_text(mine))
        return Check("variant", False, f"seed {seed}", "", text)
    before, after = _given_values(sandbox, step, refs)
    shapes = [
        (name, _shape(before[name]), _shape(value))
        for name, value in after.items()
        if name in before
        and value.get("shape") is not None
        and value != before[name]
        and before[name].get("shape") != value.get("shape")
    ]
    others = [
        name
        for name, value in after.items()
        if name in before and value != before[name] and name not in {s[0] for s in shapes}
    ]
    change = variant_text(step, variant)
    if shapes:
        what = ", ".join(
            _msg("variant_shape", lang, name=n, new=new, old=old) for n, old, new in shapes
        )
    elif others:
        what = _msg("variant_values", lang, names=", ".join(f"`{n}`" for n in others))
    else:
        what = f"`{change}`"
    if raised:
        text = _msg("variant_raised", lang, what=what, error=_error_text(mine))
        return Check("variant", False, change, "", (own + " " + text).strip() if own else text)
    return Check("variant", False, change, "", own or _msg("variant", lang, what=what))


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
