"""The lesson model: frozen dataclasses, built by :mod:`tutor.course._loader` from TOML.

The format is described for authors in docs/lesson-format.md. This module never
imports torch: the UI process loads lessons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from tutor import codeinfo

KINDS = ("read", "code", "quiz", "predict", "explore")
# A lesson's section orders the catalog. Part one of the course is 0..8, part two goes on
# from 9; two digits leave room for both and for a teacher's own lessons placed after them
# (90..99), and match the two-digit numbers of the lesson files.
SECTIONS = range(0, 100)
PROPS = (
    "type",
    "shape",
    "dtype",
    "device",
    "values",
    "requires_grad",
    "is_leaf",
    "grad_fn",
    "grad",
)
DETECTOR_IDS = frozenset(
    "transposed mul-vs-matmul matmul-vs-mul int-not-float float-not-int arange-end linspace-count "
    "unsqueeze-dim squeeze-dim broadcast-bigger grad-accumulated grad-non-leaf "
    "grad-missing-requires-grad copy-not-shared shared-not-copy wrong-device list-not-tensor "
    "ndarray-not-tensor matmul-inner-size broadcast-mismatch view-non-contiguous view-numel "
    "item-many requires-grad-int numpy-requires-grad numpy-gpu backward-non-scalar backward-twice "
    "inplace-leaf device-mismatch dim-out-of-range index-out-of-range mean-int "
    "backward-no-grad inplace-dtype arg-not-tensor backward-missing size-one-built "
    "input-eof missing-import grad-assign-type missing-zero-grad softmax-before-cross-entropy "
    "lr-diverged eval-without-no-grad eval-missing linear-in-out-swapped data-model-devices "
    "to-result-dropped one-hot-targets float-targets linear-in-features".split()
)


@dataclass(frozen=True, init=False)
class Text:
    """A piece of learner-facing text: English, and a translation per language (any may be
    missing: then English is shown). ``Text("zeros", zh="零")``, ``Text("zeros", fr="zéros")``."""

    en: str
    translations: tuple[tuple[str, str], ...]  # (lang, text), sorted, none empty

    def __init__(self, en: str = "", zh: str = "", **more: str) -> None:
        object.__setattr__(self, "en", en)
        found = {"zh": zh, **more}
        object.__setattr__(self, "translations", tuple(sorted(i for i in found.items() if i[1])))

    @property
    def zh(self) -> str:
        return self.of("zh")

    def of(self, lang: str) -> str:
        """The text in ``lang`` exactly ("" when not translated)."""
        return self.en if lang == "en" else dict(self.translations).get(lang, "")

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to English."""
        return self.of(lang) or self.en

    def variants(self) -> tuple[str, ...]:
        """Every language's text, English first."""
        return (self.en, *(text for _, text in self.translations))

    def as_json(self) -> dict[str, str]:
        return {"en": self.en, **dict(self.translations)}

    def __bool__(self) -> bool:
        return bool(self.en or self.translations)


@dataclass(frozen=True)
class Expect:
    """One ``[[steps.expect]]`` table: a name's property, an exception, output, code or
    predicate."""

    var: str | None = None
    props: tuple[str, ...] | None = None
    rtol: float | None = None
    atol: float | None = None
    type: str | None = None
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    device: str | None = None
    values: Any = None
    requires_grad: bool | None = None
    is_leaf: bool | None = None
    grad_fn: str | None = None
    grad: Any = None
    shares_memory_with: str | None = None
    independent_of: str | None = None
    raises: str | None = None
    match: str | None = None
    output: str | None = None
    output_contains: tuple[str, ...] | None = None
    same_output: bool | None = None
    must_call: tuple[str, ...] | None = None
    must_not_call: tuple[str, ...] | None = None
    predicate: str | None = None
    uses: tuple[str, ...] = ()
    message: Text = Text()
    id: str | None = None  # names a predicate, calls, output or raises row
    expected: Text = Text()  # a predicate in words, for the verdict's expected column
    # A learned value held to a tolerance (shown in words), not compared with the reference.
    near: Any = None
    within: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    finite: bool | None = None
    # An nn.Module: its children's classes, parameter count and shapes, mode.
    layers: tuple[str, ...] | None = None
    params: int | None = None
    param_shapes: Any = None  # {"0.weight": [32, 64]}
    training: bool | None = None
    # An optimizer: learning rate, other hyper-parameters, the module it updates.
    lr: float | None = None
    hyper: Any = None  # {"momentum": 0.9}
    optimizes: str | None = None
    # Another name of the learner's: the same values (a module's state_dict too), or other ones.
    same_values_as: str | None = None
    differs_from: str | None = None
    line: int = 0


@dataclass(frozen=True)
class FeedbackRule:
    """Targeted feedback: shown when an answer fails and every condition given holds."""

    id: str
    message: Text
    calls: tuple[str, ...] = ()
    not_calls: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    predicate: str | None = None
    uses: tuple[str, ...] = ()
    error: str | None = None
    error_match: tuple[str, ...] = ()  # any of these in the message (one string or a list)
    output_contains: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    hint: Text = Text()  # the first /hint after this feedback was shown: about this mistake
    line: int = 0


@dataclass(frozen=True)
class Trap:
    """A known wrong answer (code or a quiz answer) and the feedback or failed check it must get."""

    code: str | None = None
    answer: str | None = None
    feedback: str | None = None
    fails: str | None = None
    without_gpu: bool = False  # its mistake shows only on a machine without a GPU
    line: int = 0


@dataclass(frozen=True)
class Variant:
    """Another set-up and/or seed on which a passing answer must pass again.

    ``setup`` None: the step's own set-up (a variant that changes only the seed);
    ``seed`` None: the step's seed. ``message`` is the lesson's own words for an answer
    that fails here.
    """

    setup: str | None = None
    seed: int | None = None
    message: Text = Text()
    line: int = 0

    def setup_for(self, step: Step) -> str:
        return step.setup if self.setup is None else self.setup

    def seed_for(self, step: Step) -> int | None:
        return step.seed if self.seed is None else self.seed


@dataclass(frozen=True)
class Step:
    """One step of a lesson: read, code, quiz, predict or explore."""

    id: str
    kind: str
    title: Text
    text: Text = Text()
    setup: str = ""
    solution: str = ""
    check: tuple[str, ...] = ()
    expects: tuple[Expect, ...] = ()
    seed: int | None = None
    device: str = "any"
    watch: tuple[str, ...] = ()
    hints: tuple[Text, ...] = ()
    feedback: tuple[FeedbackRule, ...] = ()
    traps: tuple[Trap, ...] = ()
    variants: tuple[Variant, ...] = ()
    choices: tuple[Text, ...] = ()
    answer: Any = None
    accept: tuple[str, ...] = ()
    items: tuple[Text, ...] = ()
    explanation: Text = Text()
    code: str = ""
    minutes: float | None = None  # the author's estimate of the time it takes
    quiet: tuple[str, ...] = ()  # built-in feedback ids this step never shows
    time_limit: float | None = None  # seconds for each run of this step's code
    answers: tuple[Any, ...] = ()  # every right answer (``answer`` is the first)
    select: str = ""  # "all": the learner names exactly the right choices
    line: int = 0

    @property
    def capture_names(self) -> tuple[str, ...]:
        """The names (and attribute paths) whose values the judge needs."""
        names: list[str] = list(self.check)
        for e in self.expects:
            names += [
                n
                for n in (
                    e.var,
                    e.shares_memory_with,
                    e.independent_of,
                    e.optimizes,
                    e.same_values_as,
                    e.differs_from,
                )
                if n
            ]
            names += list(e.uses) + message_names(e.message)
        for f in self.feedback:
            names += list(f.uses) + message_names(f.message)
        # Names the set-up and the solution assign help the detectors tell what went wrong.
        names += sorted(codeinfo.assigned(self.setup) | codeinfo.assigned(self.solution))
        return tuple(dict.fromkeys(names))

    @property
    def watch_names(self) -> tuple[str, ...]:
        """Root names whose mention makes an input an attempt."""
        names = self.watch or tuple(self.check) + tuple(e.var for e in self.expects if e.var)
        return tuple(dict.fromkeys(n.split(".")[0] for n in names))

    def spec(self) -> dict[str, Any]:
        """The step's check specification as plain JSON for the judge."""
        return {
            "kind": self.kind,
            "check": list(self.check),
            "expect": [_plain(e) for e in self.expects],
            "feedback": [_plain(f) for f in self.feedback],
            "solution": self.solution,
            "quiet": list(self.quiet),
            "setup": self.setup,
        }


_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][\w.]*(?:\[-?\d+\][\w.]*)*)(?::[^{}]*)?\}(?!\})")


def message_names(text: Text) -> list[str]:
    """The value names a message interpolates (``{model.weight:.2f}`` -> ``model.weight``)."""
    return list(dict.fromkeys(m.group(1) for v in text.variants() for m in _FIELD.finditer(v)))


def _plain(value: Any) -> Any:
    """A dataclass as JSON-ready data (``asdict``, with each Text as ``{"en": ..., "zh": ...}``)."""
    if isinstance(value, Text):
        return value.as_json()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


@dataclass(frozen=True)
class Lesson:
    """A parsed lesson file."""

    id: str
    section: int
    title: Text
    steps: tuple[Step, ...]
    order: int = 0
    summary: Text = Text()
    path: str = ""
    minutes: float | None = None  # the author's estimate of the time the lesson takes

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or with this 1-based number, or None."""
        for s in self.steps:
            if s.id == step_id:
                return s
        if step_id.isdigit() and 1 <= int(step_id) <= len(self.steps):
            return self.steps[int(step_id) - 1]
        return None


# Rough minutes a learner spends on a step of each kind, where the author gave no estimate.
STEP_MINUTES = {"read": 1.0, "quiz": 1.0, "predict": 1.5, "code": 3.0, "explore": 2.0}


def step_minutes(step: Step) -> tuple[float, bool]:
    """The step's time in minutes and whether it is a rough estimate (the author gave none)."""
    if step.minutes is not None:
        return step.minutes, False
    return STEP_MINUTES.get(step.kind, 1.0), True


def lesson_minutes(lesson: Lesson) -> tuple[int, bool]:
    """The lesson's time in whole minutes and whether it is a rough estimate: the author's
    ``minutes``, else the sum of its steps' (rounded to 5 when any of them is a guess)."""
    if lesson.minutes is not None:
        return max(1, round(lesson.minutes)), False
    times = [step_minutes(s) for s in lesson.steps]
    total = sum(m for m, _ in times)
    if any(rough for _, rough in times):
        return max(5, 5 * round(total / 5)), True
    return max(1, round(total)), False


@dataclass(frozen=True)
class LessonError:
    """A problem in a lesson file; ``lint`` ones fail ``validate`` but the lesson still loads."""

    path: str
    line: int
    message: str
    lint: bool = False
    column: int = 0  # 1-based where known (syntax errors, undecodable bytes), else 0

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}" if self.column else str(self.line)
        return f"{self.path}:{where}: {self.message}"


@dataclass(frozen=True)
class LeftOut:
    """A lesson file left out of the course, with the errors that keep it out."""

    path: str
    lesson_id: str  # its id as written in the file, even when the file does not parse; or ""
    errors: tuple[LessonError, ...]


def lesson_number(lesson: Lesson, index: int) -> str:
    """The number a learner knows a lesson by: its file's ``04-`` (or ``07b-``) prefix, else its
    place."""
    match = re.match(r"^(\d+)([a-z]?)-", Path(lesson.path or "").stem)
    return str(int(match.group(1))) + match.group(2) if match else str(index + 1)


__all__ = [
    "DETECTOR_IDS",
    "Expect",
    "FeedbackRule",
    "KINDS",
    "LeftOut",
    "Lesson",
    "LessonError",
    "PROPS",
    "SECTIONS",
    "Step",
    "Text",
    "Trap",
    "Variant",
    "lesson_number",
    "lesson_minutes",
    "message_names",
    "step_minutes",
    "STEP_MINUTES",
]
