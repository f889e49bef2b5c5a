"""The one path from an answer to a Verdict, shared by the REPL, ``check`` and ``validate``.

Code answers: fresh namespace (set-up, seed) -> run -> snapshot -> reference
(cached per sandbox, step, set-up and seed) -> judge -> Verdict, and again on
each variant once the answer passes. Quiz answers are checked here without a
sandbox; predict answers against what the step's code really prints.

This module runs in the UI process: it never imports torch.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from typing import TYPE_CHECKING, Any

from tutor import codeinfo
from tutor.course.lesson import FeedbackRule, Lesson, Step, Variant
from tutor.i18n import t
from tutor.judge.verdict import Check, Feedback, JudgeRequest, RunJson, Verdict

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
    request: JudgeRequest = {
        "lang": lang,
        "step": step.spec(),
        "learner": learner_dir,
        "reference": ref.snapshot_dir,
        "learner_run": _run_json(run),
        "reference_run": ref.to_json(),
        "code": code,
    }
    try:
        request["predicates"] = _predicates(sandbox, step, learner_dir)
        return Verdict.from_json(sandbox.judge(request))
    finally:
        _discard(sandbox, learner_dir)


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


def _run_json(run: RunResult) -> RunJson:
    data = run.to_json()
    return {"outcome": data["outcome"], "output": data["output"], "error": data["error"]}


def check_once(
    sandbox: Sandbox, lesson: Lesson, step: Step, code: str, lang: str, setup: str, seed: int | None
) -> Verdict:
    """Check ``code`` once, in a fresh namespace built by ``setup`` and ``seed`` (no variants)."""
    start = sandbox.new_namespace(effective_setup(step, setup), seed)
    if start.outcome != "ok":
        error = _error_text(start)
        return Verdict(False, (Check("setup", False, "", error, _msg("setup", lang, error=error)),))
    run = sandbox.run(code, filename="<answer>", seed=seed)
    return judge_live(sandbox, lesson, step, code, run, lang, setup=setup, seed=seed)


def check_answer(
    sandbox: Sandbox, lesson: Lesson, step: Step, code: str, lang: str = "en"
) -> Verdict:
    """Check a complete answer to a code step in a fresh namespace, then on each variant."""
    if needs_gpu(sandbox, step):
        return Verdict(False, (Check("device", False, "gpu", "cpu", _msg("gpu", lang)),))
    verdict = check_once(sandbox, lesson, step, code, lang, step.setup, step.seed)
    if not verdict.passed:
        return verdict
    return check_variants(sandbox, lesson, step, code, lang) or verdict


def check_variants(
    sandbox: Sandbox, lesson: Lesson, step: Step, code: str, lang: str = "en"
) -> Verdict | None:
    """Run an answer that passed once more on each variant; the first failing verdict, or None.

    Each variant runs in a pristine worker of its own (``sandbox.reference``), so the
    learner's live namespace in the REPL is left as it was.
    """
    for variant in step.variants:
        again = check_variant(sandbox, lesson, step, code, variant, lang)
        if again is not None:
            if again.first_failure is not None and again.first_failure.name in (
                "reference",
                "sandbox",
            ):
                return again  # not the answer's failure: say what happened, not "variant"
            given = variant_text(step, variant)
            lead = Check("variant", False, given, "", _msg("variant", lang, setup=given))
            return Verdict(False, (lead, *again.checks), again.feedback, again.pictures)
    return None


def check_variant(
    sandbox: Sandbox, lesson: Lesson, step: Step, code: str, variant: Variant, lang: str = "en"
) -> Verdict | None:
    """``code`` judged on one variant: its failing verdict (a ``reference`` check when the
    reference solution itself failed there), or None when it passes."""
    setup, seed = variant.setup_for(step), variant.seed_for(step)
    ref = reference(sandbox, lesson, step, setup, seed)
    broken = _reference_problem(step, ref, lang)
    if broken is not None:
        return broken
    trial = getattr(sandbox, "trial", sandbox.reference)
    mine = trial(effective_setup(step, setup), code, seed, list(step.capture_names))
    request: JudgeRequest = {
        "lang": lang,
        "step": step.spec(),
        "learner": mine.snapshot_dir,
        "reference": ref.snapshot_dir,
        "learner_run": mine.to_json(),
        "reference_run": ref.to_json(),
        "code": code,
    }
    try:
        request["predicates"] = _predicates(sandbox, step, mine.snapshot_dir)
        again = Verdict.from_json(sandbox.judge(request))
    finally:
        _discard(sandbox, mine.snapshot_dir)
    return None if again.passed else again


def variant_text(step: Step, variant: Variant) -> str:
    """What a variant changes, as code on one line: its set-up, else the seed it sets."""
    if variant.setup is None:
        return f"torch.manual_seed({variant.seed_for(step)})"
    given = "; ".join(line.strip() for line in variant.setup.splitlines() if line.strip())
    return given if len(given) <= 80 else given[:77] + "..."


# ---------------------------------------------------------------- quiz and predict


def normalize(text: str) -> str:
    """Case-folded, NFKC-normalised, backticks dropped, spaces collapsed: how answers compare."""
    return _cased(text).casefold()


def _cased(text: str) -> str:
    # Choices are Markdown (`torch.float32`); learners type them with or without the backticks.
    text = unicodedata.normalize("NFKC", text.replace("`", "")).strip()
    return re.sub(r"\s+", " ", text).strip(" .。")


# A choice often reads "title（explanation）" or "title: explanation"; the title alone may do.
_HEAD_END = re.compile(r"（|：|:\s| \(")
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _head(text: str) -> str:
    """A choice's text before its explanation (``应用领域：用 AI …`` -> ``应用领域``), or ""."""
    parts = _HEAD_END.split(text, maxsplit=1)
    return normalize(parts[0]) if len(parts) > 1 else ""


def _printed(text: str) -> str:
    """What a predict choice shows as printed output, spaces dropped.

    A choice that opens with code shows its code spans ("`torch.int64`, then
    `torch.float32`" shows both dtypes); any other choice is prose, shown whole.
    """
    spans = _CODE_SPAN.findall(text) if text.startswith("`") else []
    return _collapse("".join(spans) if spans else text)


def _only(matches: set[int]) -> int | None:
    return next(iter(matches)) if len(matches) == 1 else None


def _by_text(step: Step, answer: str) -> int | None:
    """The choice whose whole text was typed; the case decides between look-alikes."""
    text, cased = normalize(answer), _cased(answer)
    same = {i for i, c in enumerate(step.choices, 1) if text in map(normalize, c.variants())}
    if len(same) > 1:  # `torch.zeros(2, 3)` and `torch.Zeros(2, 3)`
        same = {i for i in same if cased in map(_cased, step.choices[i - 1].variants())}
    return min(same) if same else None


def _by_output(step: Step, answer: str) -> int | None:
    """In a predict step, the choice showing the output that was typed, spaces aside."""
    if step.kind != "predict":
        return None
    typed = _collapse(answer.replace("`", ""))
    return _only({i for i, c in enumerate(step.choices, 1) if typed in map(_printed, c.variants())})


def _by_head(step: Step, answer: str) -> int | None:
    """The one choice whose title (the text before its explanation) was typed."""
    text = normalize(answer)
    return _only({i for i, c in enumerate(step.choices, 1) if text in map(_head, c.variants())})


def _choice_number(step: Step, answer: str) -> int | None:
    """The 1-based choice the learner meant: a number, a letter, or the choice's text.

    The text may be the whole choice, its title alone when no other choice
    shares that title, or (in a predict step) the output the choice shows.
    """
    text = normalize(answer)
    bare = text.strip("()")  # "(3)", "(c)"; not "tensor(1)", which ends in ")" too
    if bare.isdigit():
        return int(bare)
    if len(bare) == 1 and "a" <= bare <= "z":
        return ord(bare) - ord("a") + 1
    if not text:
        return None
    for found in (_by_text(step, answer), _by_output(step, answer), _by_head(step, answer)):
        if found is not None:
            return found
    return None


def answer_key(step: Step, answer: str) -> str:
    """The answer as feedback rules name it: a choice number, item numbers, or the text."""
    if step.choices:
        number = _choice_number(step, answer)
        return str(number) if number is not None else normalize(answer)
    if step.items:
        return " ".join(re.findall(r"\d+", answer))
    return normalize(answer)


def _answer_rule_holds(step: Step, rule: FeedbackRule, key: str) -> bool:
    """A quiz rule holds when the answer is one it names; a rule without conditions always."""
    if rule.answer:
        return key in {answer_key(step, a) for a in rule.answer}
    return not (
        rule.calls
        or rule.failed
        or rule.predicate
        or rule.error
        or rule.error_match
        or rule.output_contains
    )


def _answer_verdict(
    step: Step, answer: str, passed: bool, expected: str, lang: str, why: str = "answer"
) -> Verdict:
    """The answer's one row; a wrong answer's row hides the right one, which it would give away.

    ``why``: the message key for a wrong answer ("answer", or "not_a_choice" for text that
    names none of the choices)."""
    got = answer.strip()
    if passed:
        return Verdict(True, (Check("answer", True, expected, got),))
    key = answer_key(step, answer)
    feedback = tuple(
        Feedback(r.id, r.message.get(lang), "feedback")
        for r in step.feedback
        if _answer_rule_holds(step, r, key)
    )
    return Verdict(
        False,
        (
            Check(
                "answer", False, _msg("hidden", lang), got, _msg(why, lang, count=len(step.choices))
            ),
        ),
        feedback,
    )


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def accepted_answer(step: Step, lang: str) -> str:
    """The accepted answer to show in ``lang``: the first written in neither script (a number),
    else the first in its script (CJK for zh), else the first."""
    neutral = [a for a in step.accept if not (_CJK.search(a) or re.search("[A-Za-z]", a))]
    mine = [a for a in step.accept if bool(_CJK.search(a)) == (lang == "zh")]
    return (neutral or mine or list(step.accept) or [""])[0]  # "18" before "十八" or "eighteen"


def _choice_verdict(step: Step, answer: str, number: int | None, lang: str) -> Verdict:
    shown = step.choices[step.answer - 1].get(lang).replace("`", "")
    why = "answer" if number is not None else "not_a_choice"
    return _answer_verdict(
        step, answer, number == step.answer, f"{step.answer}. {shown}", lang, why
    )


def check_quiz(step: Step, answer: str, lang: str = "en") -> Verdict:
    """Check a quiz answer (choice, fill-in or ordering); pure, no sandbox."""
    if step.choices:
        return _choice_verdict(step, answer, _choice_number(step, answer), lang)
    if step.items:
        given = [int(n) for n in re.findall(r"\d+", answer)]
        expected = " ".join(str(n) for n in step.answer)
        return _answer_verdict(step, answer, tuple(given) == tuple(step.answer), expected, lang)
    ok = normalize(answer) in {normalize(a) for a in step.accept}
    # A right answer is shown against itself: "十八" typed is not corrected to "18".
    shown = answer.strip() if ok else accepted_answer(step, lang)
    return _answer_verdict(step, answer, ok, shown, lang)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _unquoted(text: str) -> str:
    """The answer without the Markdown backticks around it (`` `tensor(1)` `` -> ``tensor(1)``)."""
    text = text.strip()
    quoted = re.fullmatch(r"(`+)(.*?)\1", text, re.DOTALL)
    return quoted.group(2) if quoted else text


def check_predict(step: Step, answer: str, output: str, lang: str = "en") -> Verdict:
    """Check a prediction: a choice, or typed output compared with what the code printed."""
    typed_output = bool(answer.strip()) and _collapse(_unquoted(answer)) == _collapse(output)
    if step.choices:
        number = _choice_number(step, answer)
        if number is None and typed_output:
            number = step.answer  # the right choice is, by construction, what the code prints
        return _choice_verdict(step, answer, number, lang)
    ok = typed_output or (
        bool(answer.strip()) and normalize(answer) in {normalize(a) for a in step.accept}
    )
    return _answer_verdict(step, answer, ok, output.strip(), lang)


def run_predict(sandbox: Sandbox, step: Step) -> RunResult:
    """Run a predict step's code in a fresh namespace: its RunResult holds the real output."""
    sandbox.new_namespace(effective_setup(step), step.seed)
    return sandbox.run(step.code, filename="<predict>", seed=step.seed, record=False)


def check_text_answer(sandbox: Sandbox, step: Step, answer: str, lang: str = "en") -> Verdict:
    """Check a quiz or predict answer (a predict step without choices runs its code)."""
    if step.kind == "predict" and not step.choices:
        return check_predict(step, answer, run_predict(sandbox, step).output, lang)
    return check_quiz(step, answer, lang)


# ---------------------------------------------------------------- attempts


def is_attempt(step: Step, code: str, error_type: str | None = None) -> bool:
    """Whether an input should get a failure shown: it mentions a watched name, or raised."""
    if error_type:
        return True
    return bool(codeinfo.names(code) & set(step.watch_names))


__all__ = [
    "accepted_answer",
    "answer_key",
    "check_answer",
    "check_once",
    "check_predict",
    "check_quiz",
    "check_text_answer",
    "check_variant",
    "check_variants",
    "effective_setup",
    "is_attempt",
    "judge_live",
    "needs_gpu",
    "normalize",
    "reference",
    "run_predict",
    "variant_text",
]
