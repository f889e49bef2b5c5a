"""The lesson model (frozen dataclasses) and its loader, whose errors read ``path:line: message``.

The format is described for authors in docs/lesson-format.md. This module never
imports torch: the UI process loads lessons.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tutor import codeinfo

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KINDS = ("read", "code", "quiz", "predict", "explore")
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
    "backward-no-grad inplace-dtype arg-not-tensor backward-missing".split()
)


@dataclass(frozen=True)
class Text:
    """A piece of learner-facing text in English and Chinese (``zh`` may be empty)."""

    en: str = ""
    zh: str = ""

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to English."""
        return self.zh if lang == "zh" and self.zh else self.en

    def __bool__(self) -> bool:
        return bool(self.en or self.zh)


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

    ``setup`` None keeps the step's set-up (only the seed changes); ``message`` is
    the lesson's own words for an answer that fails here.
    """

    setup: str | None = None
    seed: int | None = None
    message: Text = Text()
    line: int = 0


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
    line: int = 0

    @property
    def capture_names(self) -> tuple[str, ...]:
        """The names (and attribute paths) whose values the judge needs."""
        names: list[str] = list(self.check)
        for e in self.expects:
            names += [n for n in (e.var, e.shares_memory_with, e.independent_of) if n]
            names += list(e.uses)
        for f in self.feedback:
            names += list(f.uses)
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
            "expect": [asdict(e) for e in self.expects],
            "feedback": [asdict(f) for f in self.feedback],
            "solution": self.solution,
        }


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

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or with this 1-based number, or None."""
        for s in self.steps:
            if s.id == step_id:
                return s
        if step_id.isdigit() and 1 <= int(step_id) <= len(self.steps):
            return self.steps[int(step_id) - 1]
        return None


@dataclass(frozen=True)
class LessonError:
    """A problem in a lesson file; ``lint`` ones fail ``validate`` but the lesson still loads."""

    path: str
    line: int
    message: str
    lint: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


_TOML_LINE = re.compile(r"at line (\d+)")


def load_lesson(path: str | Path) -> tuple[Lesson | None, list[LessonError]]:
    """Load one lesson file: the lesson (None when it has real errors) and every problem found."""
    path_str = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [LessonError(path_str, 1, f"cannot read the file: {exc}")]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        line = int(m.group(1)) if m else getattr(exc, "lineno", 1)
        message = _TOML_LINE.sub("", str(exc)).replace("(, column", "(column").strip()
        return None, [LessonError(path_str, line, f"TOML syntax error: {message}")]
    from tutor.course._loader import Loader

    loader = Loader(path_str, text)
    lesson = loader.lesson(doc)
    return lesson, loader.errors


def lesson_files(paths: Iterable[str | Path]) -> list[Path]:
    """The lesson files under ``paths`` (files, or folders scanned for ``*.toml``), sorted."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.glob("*.toml") if f.name != "glossary.toml")
        else:
            files.append(p)
    return files


def load_course(paths: Iterable[str | Path]) -> tuple[list[Lesson], list[LessonError]]:
    """Load every lesson under ``paths``; a broken lesson never stops the others loading."""
    lessons: list[Lesson] = []
    errors: list[LessonError] = []
    seen: dict[str, str] = {}
    for f in lesson_files(paths):
        lesson, errs = load_lesson(f)
        errors += errs
        if lesson is None:
            continue
        if lesson.id in seen:
            from tutor.course._loader import LineMap

            line = LineMap(f.read_text(encoding="utf-8")).key((), "id")
            errors.append(
                LessonError(
                    str(f), line, f"duplicate lesson id `{lesson.id}` (also in {seen[lesson.id]})"
                )
            )
            continue
        seen[lesson.id] = str(f)
        lessons.append(lesson)
    lessons.sort(key=lambda lesson: (lesson.section, lesson.order, Path(lesson.path).name))
    return lessons, errors


def find_step(
    lessons: Iterable[Lesson], lesson_id: str, step_id: str
) -> tuple[Lesson | None, Step | None]:
    """The lesson with ``lesson_id`` (or its file name stem) and its step ``step_id``."""
    for lesson in lessons:
        if lesson_id in (lesson.id, Path(lesson.path).stem):
            return lesson, lesson.step(step_id)
    return None, None


__all__ = [
    "DETECTOR_IDS",
    "Expect",
    "FeedbackRule",
    "KINDS",
    "Lesson",
    "LessonError",
    "PROPS",
    "Step",
    "Text",
    "Trap",
    "Variant",
    "find_step",
    "lesson_files",
    "load_course",
    "load_lesson",
]
