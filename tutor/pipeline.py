"""The one path from an answer to a Verdict, shared by the REPL, ``check`` and ``validate``.

Code answers: fresh namespace (set-up, seed) -> run -> snapshot -> reference
(cached per sandbox, step, set-up and seed) -> judge -> Verdict, and again on
each variant once the answer passes. Quiz answers are checked here without a
sandbox; predict answers against what the step's code really prints.

This module runs in the UI process: it never imports torch.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor import codeinfo
from tutor.course.lesson import PROPS, FeedbackRule, Lesson, Step
from tutor.judge.verdict import Check, Feedback, Verdict

_REFERENCES: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)

_MESSAGES = {
    "setup": ("The step's set-up code failed: {error}", "本步骤的预设代码出错了：{error}"),
    "reference": ("The reference solution failed: {error}", "参考答案运行出错：{error}"),
    "variant": (
        "Your answer passes with the given values but not with other ones: I ran it again with "
        "{what}, and the rows above are from that run. Does it hard-code numbers or leave out "
        "a case?",
        "你的答案用给定的数据能通过，换一组数据就不行了：我把 {what} 之后又运行了一次，"
        "上面各行是那次的结果。是不是把数字写死了，或者漏掉了某种情况？",
    ),
    "variant_shape": (
        "`{name}` of shape {new} (it was {old})",
        "`{name}` 的形状换成 {new}（原来是 {old}）",
    ),
    "variant_values": ("other values in {names}", "{names} 换成别的值"),
    "variant_raised": (
        "I ran your answer again on another input, {what}, and there your code raised an "
        "error: {error}. Make it work for any input of this kind, not only the given one.",
        "我换了一个输入又运行了一次你的答案：{what}。这一次你的代码出错了：{error}。"
        "答案要对这一类输入都成立，而不只是给定的那一个。",
    ),
    "variant_seed": (
        "Your answer is right with seed {old} but not with seed {new}: the set-up is the same, "
        "only the random numbers change, and the rows above are from that run. Let the random "
        "functions draw the numbers; values typed in match one seed only.",
        "你的答案在随机种子为 {old} 时正确，换成 {new} 就不对了：预设代码没变，变的只是随机数，"
        "上面各行是那次的结果。请让随机函数去生成这些数；手写的数值只对一个种子成立。",
    ),
    "variant_raised_seed": (
        "With that seed your code raised an error: {error}.",
        "换了种子之后，你的代码出错了：{error}。",
    ),
    "answer": ("That is not the answer.", "答案不对。"),
    "not_a_choice": (
        "That is none of the choices: type a choice's number (1 to {count}), or its words "
        "as written.",
        "这不是任何一个选项：请输入选项的编号（1 到 {count}），或者照原样输入选项的文字。",
    ),
    "snapshot": (
        "Your values could not be read back for checking.",
        "无法读取你的变量来进行检查。",
    ),
    "gpu": (
        "This step needs a GPU, and none is available.",
        "这一步需要 GPU，但当前没有可用的 GPU。",
    ),
    "hidden": ("(shown once right)", "（答对后显示）"),
    "sandbox_lost": (
        "The sandbox was stopped from outside while checking ({error}), so nothing was "
        "judged; check again.",
        "检查时沙箱被外部终止了（{error}），因此没有做出判定；请再检查一次。",
    ),
    "predicates": (
        "The lesson's conditions could not be checked in the sandbox.",
        "无法在沙箱中检查本课的条件。",
    ),
}


def _msg(key: str, lang: str, **fields: Any) -> str:
    en, zh = _MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)


def _error_text(run: Any) -> str:
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


def needs_gpu(sandbox: Any, step: Step) -> bool:
    """True when the step needs a GPU and the sandbox has none."""
    if step.device != "gpu":
        return False
    try:
        info = sandbox.device_info()
    except Exception:  # noqa: BLE001 - no info: assume no GPU
        return True
    return not (info.get("cuda") or info.get("mps"))


def reference(sandbox: Any, lesson: Lesson, step: Step, setup: str, seed: int | None) -> Any:
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
    return explain_error(verdict, run, code, lang)


def explain_error(verdict: Verdict, run: dict[str, Any], code: str, lang: str) -> Verdict:
    """The verdict with PyTorch's error explained as the prompt explains it (same id and words),
    when the run raised an error the step did not ask for."""
    error = run.get("error") or {}
    raised = next((c for c in verdict.checks if c.name == "error" and not c.passed), None)
    if verdict.passed or raised is None or run.get("outcome") != "error" or not error:
        return verdict
    from tutor.render import errors

    try:
        found = errors.explain(str(error.get("type")), str(error.get("message")), lang, code=code)
    except Exception:  # noqa: BLE001 - an explanation is a bonus, never a reason to fail
        return verdict
    if found is None or any(f.id == found.feedback.id for f in verdict.feedback):
        return verdict
    return dataclasses.replace(verdict, feedback=(*verdict.feedback, found.feedback))


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
        mine = _fresh(sandbox, step, pieces, setup, seed, echo)
        again = _judge(
            sandbox, step, mine.snapshot_dir, ref, _run_json(mine), "\n".join(pieces), lang
        )
        if not again.passed:
            main = reference(sandbox, lesson, step, step.setup, step.seed)
            lead = _variant_row(sandbox, step, variant, (main, ref), mine, lang)
            return Verdict(False, (lead, *again.checks), again.feedback, again.pictures)
    return None


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


# ---------------------------------------------------------------- the answer at the prompt


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
    same = {i for i, c in enumerate(step.choices, 1) if text in (normalize(c.en), normalize(c.zh))}
    if not same:  # `torch.zeros(2,3)` for `torch.zeros(2, 3)`
        text, cased = _collapse(text), _collapse(cased)
        same = {
            i
            for i, c in enumerate(step.choices, 1)
            if text in (_collapse(normalize(c.en)), _collapse(normalize(c.zh)))
        }
        if len(same) > 1:
            same = {
                i
                for i in same
                if cased
                in (
                    _collapse(_cased(step.choices[i - 1].en)),
                    _collapse(_cased(step.choices[i - 1].zh)),
                )
            }
        return min(same) if same else None
    if len(same) > 1:  # `torch.zeros(2, 3)` and `torch.Zeros(2, 3)`
        same = {
            i
            for i in same
            if cased in (_cased(step.choices[i - 1].en), _cased(step.choices[i - 1].zh))
        }
    return min(same) if same else None


def _by_output(step: Step, answer: str) -> int | None:
    """In a predict step, the choice showing the output that was typed, spaces aside."""
    if step.kind != "predict":
        return None
    typed = _collapse(answer.replace("`", ""))
    return _only(
        {i for i, c in enumerate(step.choices, 1) if typed in (_printed(c.en), _printed(c.zh))}
    )


def _by_head(step: Step, answer: str) -> int | None:
    """The one choice whose title (the text before its explanation) was typed."""
    text = normalize(answer)
    return _only({i for i, c in enumerate(step.choices, 1) if text in (_head(c.en), _head(c.zh))})


# ---- answers in words: what a person types for a choice or a fill-in answer

_EN_NUMBERS = {
    word: n
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_EN_TENS = {
    word: 10 * n
    for n, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
}
_ZH_DIGITS = dict(
    zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
# "3.10+", "3.10 or later", "at least 3.10", "3.10 及以上": the same answer as "3.10 or newer".
_PLUS = re.compile(r"(?<=\d)\s*\+")
_OR_NEWER = re.compile(
    r"\b(?:or|and)\s+(?:later|newer|above|higher|up|more|greater)\b|"
    r"\s*(?:及以上|或以上|以上|或更高|或更新|及更高|或者更高|或者更新)"
)
_AT_LEAST = re.compile(r"\b(?:at least|至少)\s*(\d+(?:\.\d+)*)")
_TOKEN = re.compile(r"\d+(?:\.\d+)*|[a-z_][a-z0-9_]*|[\u3400-\u9fff\uf900-\ufaff]")
_FILLER = frozenset(("the", "a", "an"))
# Words too small to pick a choice alone ("if" is in many a sentence), and marks of code, which
# names a choice only as written.
_SMALL_WORDS = frozenset(
    "a an the if and or of to in on is it be by for with then else than".split()
)
_CODE_MARKS = frozenset("`[](){}=:")
# Words a number answer may carry: "five dimensions", "5 维".
_UNITS = frozenset(("dimension", "dim", "dims", "axis", "axe", "维", "度", "个", "d"))


def _zh_number(text: str) -> str:
    """``十八`` -> ``18``, ``二十一`` -> ``21``, ``五`` -> ``5``; other runs as they are."""
    if "十" not in text:
        digits = [_ZH_DIGITS.get(c) for c in text]
        return "".join(str(d) for d in digits) if len(text) == 1 and None not in digits else text
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return text
    value = (_ZH_DIGITS.get(tens, -99) if tens else 1) * 10 + (
        _ZH_DIGITS.get(units, -99) if units else 0
    )
    return str(value) if value >= 0 else text


def _en_numbers(words: list[str]) -> list[str]:
    """Number words as digits: ``eighteen`` -> ``18``, ``twenty one`` -> ``21``."""
    out: list[str] = []
    for word in words:
        if word in _EN_NUMBERS and out and out[-1] in {str(v) for v in _EN_TENS.values()}:
            if 0 < _EN_NUMBERS[word] < 10:
                out[-1] = str(int(out[-1]) + _EN_NUMBERS[word])
                continue
        number = _EN_NUMBERS.get(word, _EN_TENS.get(word))
        out.append(str(number) if number is not None else word)
    return out


def _stem(word: str) -> str:
    """A plural folded to its singular (``frameworks`` -> ``framework``, ``axes`` -> ``axe``)."""
    if len(word) > 3 and word.isalpha() and word.isascii():
        if word.endswith(("ches", "shes", "sses", "xes")):
            return word[:-2]
        if word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """An answer as the words a person means: case, punctuation and spaces aside, plurals
    folded, numbers as digits (English or Chinese words), "3.10+" as "3.10 or newer"."""
    text = unicodedata.normalize("NFKC", text.replace("`", "")).casefold()
    text = _ZH_NUMBER.sub(lambda m: " " + _zh_number(m.group()) + " ", text)
    text = _AT_LEAST.sub(r"\1 or newer", text)
    text = _OR_NEWER.sub(" or newer", _PLUS.sub(" or newer", text))
    found = _en_numbers(_TOKEN.findall(text))
    return tuple(_stem(w) for w in found)


def _number(word: str) -> float | None:
    try:
        return float(word)
    except ValueError:
        return None


def _same_words(typed: str, accepted: str) -> bool:
    """Whether a fill-in answer says what an accepted one says (a number with its unit, too)."""
    mine, theirs = words(typed), words(accepted)
    if mine == theirs:
        return True
    numbers = [n for n in map(_number, mine) if n is not None]
    wanted = [n for n in map(_number, theirs) if n is not None]
    rest = [w for w in mine if _number(w) is None]
    return (
        len(wanted) == len(theirs) == 1
        and numbers == wanted
        and all(w in _UNITS or w in _FILLER for w in rest)
    )


def _by_words(step: Step, answer: str) -> int | None:
    """The one choice whose words include every word typed (``frameworks`` for "Frameworks
    and models"); None when no choice or several do."""
    typed = set(words(answer)) - _FILLER
    if not typed <= _SMALL_WORDS and not _CODE_MARKS & set(answer):
        return _only(
            {
                i
                for i, c in enumerate(step.choices, 1)
                if typed <= set(words(c.en)) or typed <= set(words(c.zh))
            }
        )
    return None


# A printed value: numbers inside tensor(...), array(...), brackets; the rest is decoration.
_DECORATION = re.compile(
    r"tensor|array|torch\.size|size|requires_grad\s*=\s*true|dtype\s*=\s*[\w.]+|"
    r"grad_fn\s*=\s*<[^>]*>|device\s*=\s*'[^']*'"
)
_VALUE_REST = re.compile(r"[\s\[\]\(\),]*")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")


def _printed_numbers(text: str) -> list[float] | None:
    """The numbers of a printed value (``tensor([2., 3., 4.])`` -> [2, 3, 4]); None when the
    text is more than a value (words, code)."""
    text = unicodedata.normalize("NFKC", text.replace("`", "")).casefold().strip()
    numbers = _NUMBER.findall(text)
    rest = _NUMBER.sub(" ", _DECORATION.sub(" ", text))
    if not numbers or not _VALUE_REST.fullmatch(rest):
        return None
    return [float(n) for n in numbers]


def printed_value(text: str) -> bool:
    """Whether ``text`` is a printed value (``tensor([2., 3.])``, ``[1, 2]``, ``9.0 1.0``)."""
    return _printed_numbers(text) is not None


def _by_numbers(step: Step, answer: str) -> int | None:
    """In a predict step, the one choice that prints the value typed in another form
    (``[2., 3., 4.]`` for ``tensor([2., 3., 4.], requires_grad=True)``)."""
    typed = _printed_numbers(answer)
    if step.kind != "predict" or typed is None:
        return None
    found = set()
    for i, c in enumerate(step.choices, 1):
        shown = _printed_numbers(_printed_text(c.en))
        if shown is not None and len(shown) == len(typed):
            if all(
                math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
                for a, b in zip(shown, typed, strict=True)
            ):
                found.add(i)
    return _only(found)


def _printed_text(text: str) -> str:
    spans = _CODE_SPAN.findall(text) if text.startswith("`") else []
    return " ".join(spans) if spans else text


def _choice_number(step: Step, answer: str) -> int | None:
    """The 1-based choice the learner meant: a number, a letter, or the choice's text.

    The text may be the whole choice, its title alone when no other choice
    shares that title, or (in a predict step) the output the choice shows.
    """
    text = normalize(answer)
    bare = text.strip("()")  # "(3)", "(c)"; not "tensor(1)", which ends in ")" too
    if bare.isdigit():
        return int(bare)
    if len(bare) == 1 and "a" <= bare <= "z" and ord(bare) - ord("a") < len(step.choices):
        return ord(bare) - ord("a") + 1  # "b"; but "x" at a quiz about x and y is a word
    if not text:
        return None
    for find in (_by_text, _by_output, _by_head, _by_numbers, _by_words):
        found = find(step, answer)
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
        or rule.not_calls
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
    ok = normalize(answer) in {normalize(a) for a in step.accept} or any(
        _same_words(answer, a) for a in step.accept
    )
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
        if number is None and _printed_numbers(answer) is not None:
            # A value none of the choices prints is a wrong prediction, not a typing slip.
            return _answer_verdict(step, answer, False, "", lang)
        return _choice_verdict(step, answer, number, lang)
    ok = typed_output or (
        bool(answer.strip())
        and (
            normalize(answer) in {normalize(a) for a in step.accept}
            or any(_same_words(answer, a) for a in step.accept)
            or _same_value(answer, output)
        )
    )
    return _answer_verdict(step, answer, ok, output.strip(), lang)


def _same_value(typed: str, output: str) -> bool:
    """A typed value equal to the printed one in another form (``[2., 3., 4.]``)."""
    mine, theirs = _printed_numbers(typed), _printed_numbers(output)
    return (
        mine is not None
        and theirs is not None
        and len(mine) == len(theirs)
        and all(
            math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
            for a, b in zip(mine, theirs, strict=True)
        )
    )


def run_predict(sandbox: Any, step: Step) -> Any:
    """Run a predict step's code in a fresh namespace: its RunResult holds the real output."""
    sandbox.new_namespace(effective_setup(step), step.seed)
    return sandbox.run(step.code, filename="<predict>", seed=step.seed, record=False)


def check_text_answer(sandbox: Any, step: Step, answer: str, lang: str = "en") -> Verdict:
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
    "check_predict",
    "check_quiz",
    "check_text_answer",
    "check_variants",
    "effective_setup",
    "is_attempt",
    "judge_live",
    "needs_gpu",
    "normalize",
    "printed_value",
    "reference",
    "run_predict",
]
