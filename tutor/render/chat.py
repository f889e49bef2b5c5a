"""Rich renderables for the session: tutor messages, verdicts, feedback, hints, tables.

Each function takes plain data and the language and returns something a rich
Console prints; nothing here prints by itself, so tests render into
``Console(file=io.StringIO(), width=80)`` and compare text. Marks are characters
as well as colours (✓ ✗ →) so plain text and NO_COLOR keep them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markdown import Markdown
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.i18n import t
from tutor.render import _cjkwrap
from tutor.render._fit import Fitted
from tutor.render.tables import (
    Found,
    ProgressRow,
    answers,
    course_map,
    env_table,
    help_table,
    inspect_panel,
    lessons_table,
    minutes_word,
    progress_table,
    protection_rows,
    route_table,
    status_word,
    value_panel,
    vars_table,
)
from tutor.render.text import (
    CODE_THEME,
    code,
    join_cjk_lines,
    markdown,
    note,
    program_output,
    tutor_says,
)

if TYPE_CHECKING:
    from tutor.course.lesson import Lesson, Step
    from tutor.judge.verdict import Check, Feedback, Verdict
    from tutor.sandbox import ErrorInfo, RunResult

_cjkwrap.install()  # Chinese lines break between characters, not only at spaces

# ---------------------------------------------------------------- steps


def step_panel(lesson: Lesson, step: Step, lang: str) -> Panel:
    """The step's text, titled with the lesson and step; choices or code below it."""
    parts: list[RenderableType] = []
    if step.text:
        parts.append(markdown(step.text.get(lang)))
    if step.setup.strip() and step.kind in ("code", "explore"):
        # The learner should see which variables exist before their code runs.
        parts += [Text(t("given", lang), style="bold"), code(step.setup.strip())]
    if step.kind == "predict" and step.code:
        parts.append(code(step.code))
    if step.choices:
        parts.append(numbered(c.get(lang) for c in step.choices))
    if step.items:
        parts.append(numbered(c.get(lang) for c in step.items))
    footer = {"read": "press_enter", "explore": "explore_next"}.get(step.kind)
    if step.kind in ("quiz", "predict"):
        footer = answer_prompt(step)
    if footer:
        parts.append(Text(t(footer, lang), style="dim"))
    title = t("step_head", lang, lesson=lesson.title.get(lang), title=step.title.get(lang))
    return Panel(
        Group(*parts),
        title=Text(title, style="bold"),
        title_align="left",
        border_style="cyan",
        box=box.ROUNDED,
        padding=(0, 1),
    )


def inline_code(text: str, style: str = "") -> Text:
    """``text`` with its `backticked` spans shown as code, the rest taken literally (no markup)."""
    out = Text(style=style)
    for i, part in enumerate(re.split(r"`([^`\n]+)`", text)):
        out.append(part, style="markdown.code" if i % 2 else "")
    return out


def answer_prompt(step: Step) -> str:
    """The i18n key telling how to answer a quiz or predict step: a choice, an order, a text."""
    if step.choices:
        return "quiz_prompt"
    if step.items:
        return "order_prompt"
    return "output_prompt" if step.kind == "predict" else "answer_prompt"


def numbered(items: Iterable[str]) -> Padding:
    """Choices as a numbered list, each rendered as Markdown (so `code` shows as code)."""
    # "1\." keeps Markdown from turning the choice into a list item with its own numbering.
    rows = [markdown(f"{i}\\. {text}") for i, text in enumerate(items, 1)]
    return Padding(Group(*rows), (0, 0, 0, 2))


def progress_line(
    lesson_no: int | str,
    step_no: int,
    steps: int,
    done: int,
    exercises: int,
    lang: str,
    *,
    route: tuple[int, int] | None = None,
) -> Text:
    """``lesson 4 · step 3/8 · 2 of 5 exercises done``: where the learner is in the lesson,
    and how many of this lesson's exercises (the steps that check an answer) are passed.
    A lesson without exercises shows the position alone. On a workshop route,
    ``route 3/12 · `` comes first."""
    fields = {"lesson": lesson_no, "step": step_no, "steps": steps}
    if not exercises:
        text = t("progress_line_read", lang, **fields)
    else:
        text = t("progress_line", lang, **fields, done=done, exercises=exercises)
    if route is not None:
        text = t("progress_route", lang, k=route[0], n=route[1]) + text
    return Text(text, style="dim")


# ---------------------------------------------------------------- verdicts


# Checks named by a word, and properties that are no attribute (``x.values``): said in words.
_WORD_CHECKS = {"answer", "error", "raises", "output", "calls", "predicate", "variant", "sandbox"}
_WORD_PROPS = {"type", "values", "shares_memory", "independent"}


def check_label(name: str, lang: str) -> str:
    """A check's name as the table shows it: code (``x.shape``) as is, words in ``lang``."""
    if name in _WORD_CHECKS:
        return t(f"check_{name}", lang)
    var, _, prop = name.rpartition(".")
    return t(f"check_{prop}", lang, name=var) if var and prop in _WORD_PROPS else name


_WARNING_LINE = re.compile(r"^(?=.*\b[A-Z]\w*Warning: )", re.MULTILINE)


def label_warnings(text: str, lang: str) -> str:
    """Python's warning lines, labelled in Chinese; their text stays as PyTorch wrote it."""
    label = t("warning_label", lang)
    return _WARNING_LINE.sub(label, text) if label else text


_WHOLE_WARNING = re.compile(r"^[^\n]*\b[A-Z]\w*Warning: [^\n]*$", re.MULTILINE)


def wrap_warnings(text: str, lang: str, width: int) -> str:
    """Streamed output with each whole Python warning line labelled (in Chinese) and wrapped
    between words to ``width``, the rest indented, so the terminal does not cut its words
    in half (C17 of the newcomer walk: a NumPy warning in a Chinese session). Other lines,
    and a warning line cut off at the end of ``text``, stay as they are."""
    label = t("warning_label", lang)

    def wrap(m: re.Match[str]) -> str:
        if width < 20 or cell_len(label + m.group(0)) <= width:
            return label + m.group(0)
        lines = textwrap.wrap(
            m.group(0),
            width=width,
            initial_indent=" " * cell_len(label),  # the label's cells (Chinese: two a character)
            subsequent_indent="    ",
            break_long_words=False,  # a long URL stays whole
            break_on_hyphens=False,
        )
        return label + "\n".join(lines)[cell_len(label) :]

    complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
    return _WHOLE_WARNING.sub(wrap, complete) + text[len(complete) :]


class _FairTable(Table):
    """A verdict table whose expected and got columns share the width equally when the
    values do not fit: both are then cut at the same width, so the rows can be compared."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.__rich_measure__(console, options).maximum > options.max_width:
            self.expand = True
            for column in self.columns[2:]:
                column.ratio = 1
            # Shared out, two columns may still differ by one cell: cut both at the narrower.
            inner = options.update_width(options.max_width - self._extra_width)
            widths = self._calculate_column_widths(console, inner)
            shared = min(widths[2:]) - 2  # less the padding on both sides of a middle column
            for column in self.columns[2:]:
                for cell in column.cells:
                    if isinstance(cell, _CutRows):
                        cell.width = shared
        yield from super().__rich_console__(console, options)


# A verdict table longer than this is folded to its failing rows (a projector has few lines).
FOLD_AT = 8


def _folded(verdict: Verdict, full: bool) -> tuple[list[Check], int]:
    """The rows to show and how many passing rows were left out."""
    checks = list(verdict.checks)
    if full or len(checks) <= FOLD_AT:
        return checks, 0
    failing = [c for c in checks if not c.passed]
    return failing, len(checks) - len(failing)


def verdict_table(verdict: Verdict, lang: str, *, full: bool = True) -> RenderableType:
    """Property by property: ✓/✗, the check, expected and got.

    Not ``full``: a table of more than ``FOLD_AT`` rows keeps its failing rows and says how
    many passed (``/verdict`` shows every row)."""
    rows, hidden = _folded(verdict, full)
    table = _FairTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column(t("check", lang), style="bold")
    table.add_column(t("expected", lang))
    table.add_column(t("got", lang))
    for check in rows:
        mark = Text("✓", style="green") if check.passed else Text("✗", style="bold red")
        # Text(), not a str: a value such as "[x]" must not be read as rich markup.
        expected = _table_cell(label_warnings(check.expected, lang))
        got = _table_cell(label_warnings(check.got, lang), "" if check.passed else "red")
        table.add_row(mark, Text(check_label(check.name, lang)), expected, got)
    if hidden:
        return Group(Fitted(table), Text(t("verdict_folded", lang, n=hidden), style="green"))
    return Fitted(table)


_CELL_LINES = 8


def _table_cell(text: str, style: str = "") -> Text | _CutRows:
    """A table cell; a printed tensor keeps its rows (cut after a whole value at the
    column's edge, never wrapped into a second layout), and a tall one shows its first rows:
    the picture below the table says where the values differ."""
    lines = text.split("\n")
    if len(lines) == 1:
        return Text(text, style=style)
    if len(lines) > _CELL_LINES:
        lines = [*lines[: _CELL_LINES - 1], "…"]
    return _CutRows(lines, style)


class _CutRows:
    """Rows of a printed tensor, each cut at the last whole value (``, ``) that fits, then
    ``…``: ``tensor([0.0000, 0.1000, …`` rather than ``tensor([0.0000, 0.10…``."""

    def __init__(self, lines: list[str], style: str = "") -> None:
        self.lines = lines
        self.style = style
        self.width: int | None = None  # the width to cut at, when the table decided it

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max(cell_len(line) for line in self.lines)
        return Measurement(min(widest, 16), widest)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(options.max_width, self.width or options.max_width)
        for line in self.lines:
            if cell_len(line) > width:
                # the last ", " whose comma still leaves room for the "…" after it
                comma = line[:width].rfind(", ")
                cut = line[: comma + 1] if comma >= width // 3 else line[: max(width - 1, 1)]
                line = cut + "…"
            yield Text(line, style=self.style, no_wrap=True, overflow="crop")


def verdict(verdict: Verdict, lang: str, *, error_shown: bool = False, full: bool = False) -> Group:
    """The whole verdict: a headline, the table, the first failure's message, feedback, pictures.

    ``error_shown``: the code's error was just explained above, so the verdict
    does not explain it again. Not ``full``: a long table folds to its failing rows
    (see ``verdict_table``); a long table that passed is one line.
    """
    from tutor.render import pictures

    parts: list[RenderableType] = [markdown(t("passed" if verdict.passed else "not_yet", lang))]
    rows, hidden = _folded(verdict, full)
    if hidden and not rows:
        parts.append(Text(t("verdict_all_passed", lang, n=hidden), style="green"))
    elif verdict.checks:
        parts.append(verdict_table(verdict, lang, full=full))
    failure = verdict.first_failure
    if failure is not None and failure.message:
        parts.append(inline_code("✗ " + failure.message, style="red"))
    parts += feedback(chosen_feedback(verdict.feedback, error_shown))
    for payload in verdict.pictures:
        if payload.get("kind") == "summary" and failure is not None:
            # The first failure's line gave the counts already: only the largest difference.
            if failure.name in (payload.get("name"), f"{payload.get('name')}.values"):
                payload = {**payload, "short": True}
        picture = pictures.picture_for(payload, lang)
        if picture is not None:
            parts.append(picture)
    return Group(*parts)


def verdict_brief(verdict: Verdict, lang: str) -> Text:
    """A failure already shown in full, in one line: ``Not quite yet: ✗ x.values``."""
    failed = [check_label(c.name, lang) for c in verdict.checks if not c.passed]
    sep = t("language.list_sep", lang)
    return Text(
        t("not_yet_brief", lang, not_yet=t("not_yet", lang), failed=sep.join(failed)),
        style="yellow",
    )


def name_list(names: Iterable[str], lang: str) -> str:
    """Names as a list in the language's own way: ``x, y`` or ``x、y``."""
    return t("language.list_sep", lang).join(names)


def chosen_feedback(items: Iterable[Feedback], error_shown: bool = False) -> list[Feedback]:
    """The feedback worth reading: the lesson's own first, then at most one new diagnosis.

    A detector's message is dropped when the lesson already says the same
    (the lesson's rule is about the same variable, its id names the detector,
    they share a piece of code or a shape, or most of their words), and an error
    explanation is dropped when ``error_shown``.
    """
    items = [f for f in items if f.message and not (error_shown and f.kind == "error")]
    lesson = [f for f in items if f.kind not in ("diagnosis", "error")]
    others = [f for f in items if f.kind in ("diagnosis", "error")]
    if lesson:
        # The lesson's words for a variable's mistake are the answer: a detector's about the
        # same variable would say it a second time.
        spoken = {name for f in lesson for name in f.about}
        others = [
            f
            for f in others
            if not set(f.about) & spoken and not any(_same_point(f, g) for g in lesson)
        ]
    return lesson + others[:1] if lesson else others


_CODE_SPAN = re.compile(r"`([^`]+)`|\(\d+(?:, \d+)*,?\)")
_WORDS = re.compile(r"\w+")


def _same_point(found: Feedback, said: Feedback) -> bool:
    """Whether a detector's feedback repeats the lesson's (``said``)."""
    if found.id and found.id in said.id:
        return True  # e.g. the lesson's "transposed-result" and the detector "transposed"
    a, b = found.message, said.message
    spans_a = {m.group(0).strip("` ") for m in _CODE_SPAN.finditer(a)}
    if spans_a & {m.group(0).strip("` ") for m in _CODE_SPAN.finditer(b)}:
        return True
    words_a, words_b = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) / min(len(words_a), len(words_b)) > 0.6


def feedback(items: Iterable[Feedback]) -> list[RenderableType]:
    """Each feedback message as a ``→`` line of Markdown."""
    return [markdown("→ " + f.message) for f in items if f.message]


def explanation(text: str, lang: str) -> Markdown:
    """A quiz step's explanation."""
    # In Chinese the colon is full-width, and outside the bold: "**原因：**文字" stays unbolded.
    return markdown(t("explanation_label", lang, label=t("explanation", lang)) + text)


def hint(text: str, n: int, total: int, lang: str, title: str = "") -> Panel:
    """One hint, counted (``hint 2 of 3``), or with its own ``title``."""
    return Panel(
        markdown(text),
        title=title or t("hint", lang, n=n, total=total),
        title_align="left",
        border_style="yellow",
        box=box.ROUNDED,
        padding=(0, 1),
    )


def solution(source: str, lang: str) -> Panel:
    """The reference solution, highlighted."""
    return Panel(
        code(source),
        title=t("solution", lang),
        title_align="left",
        border_style="magenta",
        box=box.ROUNDED,
    )


# ---------------------------------------------------------------- errors and outcomes


def error_block(
    error: ErrorInfo,
    lang: str,
    *,
    code: str = "",
    shapes: dict[str, Any] | None = None,
    quiet: Collection[str] = (),
) -> Group:
    """The learner's traceback (kept as Python wrote it) and, when known, what it means.

    ``code`` (the failing input) and ``shapes`` (name -> shape of the learner's
    tensors) let the explanation name the tensors involved.
    """
    from tutor.render import errors, pictures

    text = (error.traceback or f"{error.type}: {error.message}").rstrip()
    # Never re-wrapped (print it with crop=False): a source line and the caret under it must
    # keep their columns; the terminal wraps a long line as it wraps Python's own.
    parts: list[RenderableType] = [Text(text, style="red", no_wrap=True, overflow="ignore")]
    explained = errors.explain(error.type, error.message, lang, code=code, shapes=shapes, off=quiet)
    if explained is not None:
        body: list[RenderableType] = [markdown(explained.feedback.message)]
        if explained.picture:
            picture = pictures.picture_for(explained.picture, lang)
            if picture is not None:
                body.append(picture)
        parts.append(
            Panel(
                Group(*body),
                title=t("explained", lang),
                title_align="left",
                border_style="yellow",
                box=box.ROUNDED,
                padding=(0, 1),
            )
        )
    return Group(*parts)


OUTCOME_KEYS = {
    "timeout": "timeout",
    "memory": "memory",
    "crashed": "crashed",
    "exited": "exited",
    "killed": "killed",
    "interrupted": "interrupted",
}


def outcome(
    result: RunResult,
    lang: str,
    *,
    code: str = "",
    shapes: dict[str, Any] | None = None,
    quiet: Collection[str] = (),
) -> list[RenderableType]:
    """Plain words for how a run ended (error traceback, time limit, crash, restart);
    ``quiet``: error-explanation ids the step turned off."""
    parts: list[RenderableType] = []
    if result.outcome == "error" and result.error is not None:
        parts.append(error_block(result.error, lang, code=code, shapes=shapes, quiet=quiet))
    elif result.outcome in OUTCOME_KEYS:
        if result.outcome != "interrupted" and result.error is not None and result.error.message:
            parts.append(note(result.error.message, "red"))
        parts.append(note(t(OUTCOME_KEYS[result.outcome], lang)))
    if result.restarted:
        parts.append(note(result.note or t("restarted", lang)))
    return parts


__all__ = [
    "CODE_THEME",
    "Found",
    "ProgressRow",
    "answers",
    "check_label",
    "chosen_feedback",
    "code",
    "course_map",
    "env_table",
    "error_block",
    "explanation",
    "feedback",
    "help_table",
    "hint",
    "inspect_panel",
    "join_cjk_lines",
    "label_warnings",
    "lessons_table",
    "markdown",
    "minutes_word",
    "note",
    "numbered",
    "outcome",
    "program_output",
    "progress_line",
    "progress_table",
    "protection_rows",
    "route_table",
    "solution",
    "status_word",
    "step_panel",
    "tutor_says",
    "value_panel",
    "vars_table",
    "verdict",
    "verdict_brief",
    "verdict_table",
]
