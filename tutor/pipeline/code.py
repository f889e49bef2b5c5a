"""Code steps: fresh namespace (set-up, seed) -> run -> snapshot -> reference (cached per
sandbox, step, set-up and seed) -> judge -> Verdict, and again on each variant once it passes."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from tutor import codeinfo
from tutor.course.lesson import Lesson, Step, Variant
from tutor.judge.verdict import Check, Verdict
from tutor.pipeline._text import _error_text, _msg

_F = TypeVar("_F", bound=Callable[..., Any])


@contextmanager
def step_limit(sandbox: Any, step: Step) -> Iterator[None]:
    """Runs started inside (from this thread) take the step's ``time_limit`` as their limit
    (a training step's), unless the learner or a workshop set ``--timeout`` explicitly
    (``sandbox.timeout_fixed``)."""
    limit = step.time_limit
    if limit is None or sandbox is None or getattr(sandbox, "timeout_fixed", False):
        yield
        return
    with sandbox.limited(float(limit)):
        yield


def limited(func: _F) -> _F:
    """``func(sandbox, lesson, step, ...)`` runs under the step's time limit."""

    @functools.wraps(func)
    def wrapper(sandbox: Any, lesson: Lesson, step: Step, *args: Any, **kwargs: Any) -> Any:
        with step_limit(sandbox, step):
            return func(sandbox, lesson, step, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


_LOCK = threading.Lock()
_RUNNING: dict[tuple[Any, ...], threading.Event] = {}  # references being computed now
_REFERENCES: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)

_CPU_PRELUDE = "torch.set_default_device('cpu')\ndevice = torch.device('cpu')\n"


def effective_setup(step: Step, setup: str | None = None) -> str:
    """The set-up to run for ``step``: a ``device = "cpu"`` step first pins the CPU.

    Front ends pass this to ``sandbox.new_namespace`` so the learner's namespace
    and the reference's agree even in a GPU session (NumPy steps need the CPU).
    """
    setup = step.setup if setup is None else setup
    return _CPU_PRELUDE + setup if step.device == "cpu" else setup


def needs_gpu(sandbox: Any, step: Step) -> bool:
    """True when the step needs a GPU and the sandbox has none."""
    if step.device != "gpu":
        return False
    try:
        info = sandbox.device_info()
    except Exception:  # noqa: BLE001 - no info: assume no GPU
        return True
    return not (info.get("cuda") or info.get("mps"))


@limited
def reference(sandbox: Any, lesson: Lesson, step: Step, setup: str, seed: int | None) -> Any:
    """The reference solution's run for a step, set-up and seed (cached while the sandbox lives).

    Computed once per key: a second caller (the learner's verdict while ``prepare`` is still
    computing it in the background) waits for the first instead of running it again.
    """
    key = (lesson.id, lesson.path, step.id, setup, seed, step.solution)
    while True:
        with _LOCK:
            cache = _REFERENCES.setdefault(sandbox, {})
            if key in cache:
                return cache[key]
            running = _RUNNING.get(key)
            if running is None:
                running = _RUNNING[key] = threading.Event()
                break
        running.wait()
    try:
        run = sandbox.reference(
            effective_setup(step, setup), step.solution, seed, list(step.capture_names)
        )
        with _LOCK:
            _REFERENCES.setdefault(sandbox, {})[key] = run
        return run
    finally:
        with _LOCK:
            _RUNNING.pop(key, None)
        running.set()


def prepare(sandbox: Any, lesson: Lesson, step: Step) -> None:
    """Compute a code step's references ahead (its set-up's and each variant's), so that no
    verdict waits for them: the REPL calls this in the background while the learner reads.
    Each runs in a spare worker; an error here is the verdict's to report, later."""
    if step.kind != "code" or not step.solution or needs_gpu(sandbox, step):
        return
    wanted = [(step.setup, step.seed)] + [
        (step.setup if v.setup is None else v.setup, step.seed if v.seed is None else v.seed)
        for v in step.variants
    ]
    for setup, seed in dict.fromkeys(wanted):
        try:
            reference(sandbox, lesson, step, setup, seed)
        except Exception:  # noqa: BLE001 - ahead of time: the verdict tries again and reports
            return


def _pieces(code: str | Sequence[str]) -> list[str]:
    """An answer as the inputs that make it: a file is one input."""
    return [code] if isinstance(code, str) else list(code)


def _judge(
    sandbox: Any,
    step: Step,
    learner_dir: str | None,
    ref: Any,
    run: dict[str, Any],
    code: str,
    lang: str,
) -> Verdict:
    """Ask the judge process for the verdict on a learner snapshot (deleted once judged)."""
    request = {
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


@limited
def judge_live(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    code: str,
    run: Any,
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


def _predicates(sandbox: Any, step: Step, snapshot: str | None) -> dict[str, Any]:
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


def _discard(sandbox: Any, directory: str | None) -> None:
    """Delete a learner snapshot once judged (references stay cached)."""
    discard = getattr(sandbox, "discard", None)
    if directory and discard is not None:
        discard(directory)


def _reference_problem(step: Step, ref: Any, lang: str) -> Verdict | None:
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


def _run_json(run: Any) -> dict[str, Any]:
    data = run.to_json()
    return {"outcome": data["outcome"], "output": data["output"], "error": data["error"]}


_AHEAD: dict[tuple[Any, ...], Future[Any]] = {}  # variant runs of an answer, started early


def _in_background(func: Callable[..., Any], *args: Any) -> Future[Any]:
    """``func(*args)`` in a daemon thread (quitting the tutor never waits for a run ahead)."""
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="variants-ahead").start()
    return future


def _ahead_key(sandbox: Any, step: Step, pieces: Sequence[str], setup: str, seed: Any) -> Any:
    return (id(sandbox), step.id, step.solution, tuple(pieces), setup, seed)


def speculate(sandbox: Any, step: Step, pieces: Sequence[str]) -> None:
    """Start running an answer on the step's variants now, beside its live run (each in a
    spare worker), so a passing answer's variant checks are done by the time it is judged:
    without this a training step's verdict waited for one more full training per variant.
    Runs nobody asks for (the answer failed, or another was typed) are dropped."""
    with _LOCK:
        stale = [k for k in _AHEAD if k[0] == id(sandbox)]
        for key in stale:
            _AHEAD.pop(key).add_done_callback(lambda f: _drop(sandbox, f))
        for variant in step.variants:
            setup = step.setup if variant.setup is None else variant.setup
            seed = step.seed if variant.seed is None else variant.seed
            key = _ahead_key(sandbox, step, pieces, setup, seed)
            _AHEAD[key] = _in_background(_limited_fresh, sandbox, step, list(pieces), setup, seed)


def _limited_fresh(sandbox: Any, step: Step, pieces: list[str], setup: str, seed: Any) -> Any:
    with step_limit(sandbox, step):
        return _fresh(sandbox, step, pieces, setup, seed, True)


def _drop(sandbox: Any, future: Future[Any]) -> None:
    try:
        _discard(sandbox, future.result().snapshot_dir)
    except Exception:  # noqa: BLE001 - an unused run that failed: nothing to drop
        pass


def _ahead_or_fresh(
    sandbox: Any, step: Step, pieces: list[str], setup: str, seed: int | None, echo: bool
) -> Any:
    """The variant run started ahead for exactly this answer, or a run now."""
    with _LOCK:
        future = _AHEAD.pop(_ahead_key(sandbox, step, pieces, setup, seed), None) if echo else None
    if future is not None:
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - the early run broke: run it here, as without it
            pass
    return _fresh(sandbox, step, pieces, setup, seed, echo)


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


@limited
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


@limited
def check_file(
    sandbox: Any,
    lesson: Lesson,
    step: Step,
    code: str,
    lang: str = "en",
    *,
    filename: str = "<answer>",
    on_output: Callable[[str], None] | None = None,
) -> tuple[Verdict, Any]:
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


@limited
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
    with a ``variant`` row that says what changed (the seed, a shape, the values).
    """
    pieces = _pieces(code)
    for variant in step.variants:
        setup = step.setup if variant.setup is None else variant.setup
        seed = step.seed if variant.seed is None else variant.seed
        ref = reference(sandbox, lesson, step, setup, seed)
        broken = _reference_problem(step, ref, lang)
        if broken is not None:
            return broken
        mine = _ahead_or_fresh(sandbox, step, pieces, setup, seed, echo)
        again = _judge(
            sandbox, step, mine.snapshot_dir, ref, _run_json(mine), "\n".join(pieces), lang
        )
        if not again.passed:
            main = reference(sandbox, lesson, step, step.setup, step.seed)
            lead = _variant_row(sandbox, step, variant, (main, ref), mine, lang)
            return Verdict(False, (lead, *again.checks), again.feedback, again.pictures)
    return None


@limited
def check_once(
    sandbox: Any, lesson: Lesson, step: Step, code: str, lang: str, setup: str, seed: int | None
) -> Verdict:
    """Check ``code`` once, in a fresh worker after ``setup`` and ``seed`` (no variants)."""
    return _check_once(sandbox, lesson, step, _pieces(code), lang, setup, seed)[0]


@limited
def check_variant(
    sandbox: Any, lesson: Lesson, step: Step, code: str, variant: Variant, lang: str = "en"
) -> Verdict | None:
    """``code`` judged on one variant: its failing verdict (a ``reference`` check when the
    reference solution itself failed there), or None when it passes."""
    setup, seed = variant.setup_for(step), variant.seed_for(step)
    ref = reference(sandbox, lesson, step, setup, seed)
    broken = _reference_problem(step, ref, lang)
    if broken is not None:
        return broken
    mine = _fresh(sandbox, step, _pieces(code), setup, seed, False)
    again = _judge(sandbox, step, mine.snapshot_dir, ref, _run_json(mine), code, lang)
    return None if again.passed else again


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
    change = "; ".join(line.strip() for line in variant.setup.splitlines() if line.strip())
    change = change if len(change) <= 80 else change[:77] + "..."
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
