"""Rich renderables for the session: tutor messages, verdicts, feedback, hints, tables.

Each function takes plain data and the language and returns something a rich
Console prints; nothing here prints by itself, so tests render into
``Console(file=io.StringIO(), width=80)`` and compare text. Marks are characters
as well as colours (✓ ✗ →) so plain text and NO_COLOR keep them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tutor.i18n import HELP, t
from tutor.render import _cjkwrap
from tutor.render._markdown import TutorMarkdown

_cjkwrap.install()  # Chinese lines break between characters, not only at spaces

CODE_THEME = "monokai"


def markdown(text: str) -> Markdown:
    """Markdown with highlighted code blocks."""
    return TutorMarkdown(
        join_cjk_lines(text.strip()), code_theme=CODE_THEME, inline_code_lexer="python"
    )


# CJK ideographs and punctuation (U+2E80-U+9FFF, U+F900-U+FAFF) and full-width forms.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_ENDS_CJK = re.compile(f"[{_CJK}]$")
_STARTS_CJK = re.compile(f" {{0,3}}[{_CJK}]")
_FENCE = re.compile(r" {0,3}(```|~~~)")
_HEADING = re.compile(r" {0,3}#")


def join_cjk_lines(text: str) -> str:
    """Join a paragraph's lines where the break falls between two CJK characters.

    Markdown shows a soft line break as a space, which Chinese text does not
    have ("第一行 第二行"). Code fences, headings and hard breaks (a line
    ending in spaces) keep their line breaks.
    """
    lines: list[str] = []
    fenced = joinable = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced, joinable = not fenced, False
            lines.append(line)
            continue
        if joinable and _STARTS_CJK.match(line):
            lines[-1] += line.lstrip(" ")
        else:
            lines.append(line)
        joinable = not fenced and bool(_ENDS_CJK.search(line)) and not _HEADING.match(lines[-1])
    return "\n".join(lines)


def code(source: str) -> Syntax:
    """Python source, highlighted."""
    return Syntax(
        source.rstrip("\n"), "python", theme=CODE_THEME, background_color="default", word_wrap=True
    )


def tutor_says(text: str) -> Markdown:
    """A short message from the tutor (Markdown)."""
    return markdown(text)


def note(text: str, style: str = "yellow") -> Text:
    """A one-line remark (warnings, plain-word outcomes)."""
    return Text(text, style=style)


# ---------------------------------------------------------------- steps


def step_panel(lesson: Any, step: Any, lang: str) -> Panel:
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


def answer_prompt(step: Any) -> str:
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


def progress_line(lesson_no: int | str, step_no: int, steps: int, done: int, lang: str) -> Text:
    """``lesson 4 · step 3/8 · 5 done``."""
    return Text(
        t("progress_line", lang, lesson=lesson_no, step=step_no, steps=steps, done=done),
        style="dim",
    )


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
    return _WARNING_LINE.sub(t("warning_label", lang), text) if lang == "zh" else text


def verdict_table(verdict: Any, lang: str) -> Table:
    """Property by property: ✓/✗, the check, expected and got."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column(t("check", lang), style="bold")
    table.add_column(t("expected", lang))
    table.add_column(t("got", lang))
    for check in verdict.checks:
        mark = Text("✓", style="green") if check.passed else Text("✗", style="bold red")
        # Text(), not a str: a value such as "[x]" must not be read as rich markup.
        expected = _table_cell(label_warnings(check.expected, lang))
        got = _table_cell(label_warnings(check.got, lang), "" if check.passed else "red")
        table.add_row(mark, Text(check_label(check.name, lang)), expected, got)
    return table


_CELL_LINES = 8


def _table_cell(text: str, style: str = "") -> Text:
    """A table cell; a printed tensor keeps its rows (cut with … at the column's edge, never
    wrapped into a second layout), and a tall one shows its first rows: the picture below the
    table says where the values differ."""
    lines = text.split("\n")
    if len(lines) == 1:
        return Text(text, style=style)
    if len(lines) > _CELL_LINES:
        lines = [*lines[: _CELL_LINES - 1], "…"]
    return Text("\n".join(lines), style=style, no_wrap=True, overflow="ellipsis")


def verdict(verdict: Any, lang: str, *, error_shown: bool = False) -> Group:
    """The whole verdict: a headline, the table, the first failure's message, feedback, pictures.

    ``error_shown``: the code's error was just explained above, so the verdict
    does not explain it again.
    """
    from tutor.render import pictures

    parts: list[RenderableType] = [markdown(t("passed" if verdict.passed else "not_yet", lang))]
    if verdict.checks:
        parts.append(verdict_table(verdict, lang))
    failure = verdict.first_failure
    if failure is not None and failure.message:
        parts.append(inline_code("✗ " + failure.message, style="red"))
    parts += feedback(chosen_feedback(verdict.feedback, error_shown))
    for payload in verdict.pictures:
        picture = pictures.picture_for(payload, lang)
        if picture is not None:
            parts.append(picture)
    return Group(*parts)


def verdict_brief(verdict: Any, lang: str) -> Text:
    """A failure already shown in full, in one line: ``Not quite yet: ✗ x.values``."""
    failed = [check_label(c.name, lang) for c in verdict.checks if not c.passed]
    gap = "" if lang == "zh" else " "  # no space after a full-width full stop
    return Text(f"{t('not_yet', lang)}{gap}✗ " + ", ".join(failed), style="yellow")


def chosen_feedback(items: Iterable[Any], error_shown: bool = False) -> list[Any]:
    """The feedback worth reading: the lesson's own first, then at most one new diagnosis.

    A detector's message is dropped when the lesson already says the same
    (the lesson's id names the detector, they share a piece of code or a
    shape, or most of their words), and an error explanation is dropped when
    ``error_shown``.
    """
    items = [f for f in items if f.message and not (error_shown and f.kind == "error")]
    lesson = [f for f in items if f.kind not in ("diagnosis", "error")]
    others = [f for f in items if f.kind in ("diagnosis", "error")]
    if lesson:
        others = [f for f in others if not any(_same_point(f, g) for g in lesson)]
    return lesson + others[:1] if lesson else others


_CODE_SPAN = re.compile(r"`([^`]+)`|\(\d+(?:, \d+)*,?\)")
_WORDS = re.compile(r"\w+")


def _same_point(found: Any, said: Any) -> bool:
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


def feedback(items: Iterable[Any]) -> list[RenderableType]:
    """Each feedback message as a ``→`` line of Markdown."""
    return [markdown("→ " + f.message) for f in items if f.message]


def explanation(text: str, lang: str) -> Markdown:
    """A quiz step's explanation."""
    # In Chinese the colon is full-width, and outside the bold: "**原因：**文字" stays unbolded.
    label = f"**{t('explanation', lang)}**：" if lang == "zh" else f"**{t('explanation', lang)}:** "
    return markdown(label + text)


def hint(text: str, n: int, total: int, lang: str) -> Panel:
    """One hint, counted (``hint 2 of 3``)."""
    return Panel(
        markdown(text),
        title=t("hint", lang, n=n, total=total),
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
    error: Any, lang: str, *, code: str = "", shapes: dict[str, Any] | None = None
) -> Group:
    """The learner's traceback (kept as Python wrote it) and, when known, what it means.

    ``code`` (the failing input) and ``shapes`` (name -> shape of the learner's
    tensors) let the explanation name the tensors involved.
    """
    from tutor.render import errors, pictures

    text = (error.traceback or f"{error.type}: {error.message}").rstrip()
    parts: list[RenderableType] = [Text(text, style="red")]
    explained = errors.explain(error.type, error.message, lang, code=code, shapes=shapes)
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
    result: Any, lang: str, *, code: str = "", shapes: dict[str, Any] | None = None
) -> list[RenderableType]:
    """Plain words for how a run ended (error traceback, time limit, crash, restart)."""
    parts: list[RenderableType] = []
    if result.outcome == "error" and result.error is not None:
        parts.append(error_block(result.error, lang, code=code, shapes=shapes))
    elif result.outcome in OUTCOME_KEYS:
        if result.outcome != "interrupted" and result.error is not None and result.error.message:
            parts.append(note(result.error.message, "red"))
        parts.append(note(t(OUTCOME_KEYS[result.outcome], lang)))
    if result.restarted:
        parts.append(note(result.note or t("restarted", lang)))
    return parts


# ---------------------------------------------------------------- tables


def _table(title: str | None = None, header: bool = True) -> Table:
    return Table(
        title=title, box=box.ROUNDED, title_justify="left", header_style="bold", show_header=header
    )


def help_table(lang: str) -> Table:
    """The commands and what they do."""
    table = _table(t("help_title", lang), header=False)
    table.add_column("")
    table.add_column("")
    for usage, en, zh in HELP:
        table.add_row(Text(usage, style="cyan"), zh if lang == "zh" else en)
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def vars_table(rows: Sequence[dict[str, Any]], lang: str) -> Table:
    """The learner's variables: name, type, shape, dtype, device, requires_grad."""
    table = _table()
    keys = ("name", "type", "shape", "dtype", "device", "requires_grad")
    heads = ("col_name", "col_type", "col_shape", "col_dtype", "col_device", "col_grad")
    for head in heads:
        table.add_column(t(head, lang))
    for row in rows:
        table.add_row(*[_cell(row.get(k)) for k in keys])
    return table


def env_table(info: dict[str, Any], lang: str) -> Table:
    """Python, torch, the device and the GPU's name."""
    table = _table(t("env_title", lang), header=False)
    table.add_column("")
    table.add_column("")
    rows = [
        ("Python", info.get("python")),
        ("PyTorch", info.get("torch")),
        ("NumPy", info.get("numpy")),
        (t("col_device", lang), info.get("device")),
        ("GPU", info.get("gpu_name") or t("env_gpu_none", lang)),
    ]
    error = info.get("device_error")
    if error:
        requested = str(info.get("requested_device") or error.split(":", 1)[0])
        why = error.split(": ", 1)[-1]
        rows.insert(
            3, (t("env_requested", lang), t("env_not_used", lang, device=requested, why=why))
        )
    for label, value in rows:
        if value is not None:
            table.add_row(label, str(value))
    for row in protection_rows(info.get("protections"), lang):
        table.add_row(*row)
    return table


def protection_rows(items: Any, lang: str) -> list[tuple[str, Text]]:
    """Each sandbox protection as (name, "on — detail" / "off — why"), from
    ``Sandbox.protections()``; what ``/env`` and ``doctor`` show."""
    from tutor.sandbox import messages

    rows = []
    for item in items if isinstance(items, list) else ():
        on = bool(item.get("on"))
        word = messages.state_word(on, lang)
        detail = str(item.get("detail") or "")
        text = Text(("✓ " if on else "✗ ") + word + (f" — {detail}" if detail else ""))
        text.stylize("green" if on else "yellow", 0, 2 + len(word))
        rows.append((messages.protection_name(str(item.get("key")), lang), text))
    return rows


def status_word(status: str, lang: str) -> Text:
    """A step status as a word and a mark."""
    styles = {"passed": ("✓ ", "green"), "skipped": ("» ", "yellow"), "seen": ("· ", "dim")}
    mark, style = styles.get(status, ("", ""))
    return Text(mark + t(f"status_{status or 'new'}", lang), style=style)


def course_map(rows: Sequence[tuple[str, str, str, int]], lang: str) -> Table:
    """The course at a glance for a first start: number, id, title, rough minutes."""
    table = _table(t("course_map_title", lang))
    table.add_column("#", justify="right")
    table.add_column(t("col_lesson", lang))
    table.add_column(t("col_title", lang))
    table.add_column(t("col_minutes", lang), justify="right")
    for number, lesson_id, title, minutes in rows:
        table.add_row(number, lesson_id, title, t("minutes", lang, n=minutes))
    return table


def lessons_table(rows: Sequence[tuple[str, str, str, int, int, bool]], lang: str) -> Table:
    """The catalog: number, id, title, steps, done, and where the learner is."""
    table = _table(t("lessons_title", lang))
    table.add_column("#", justify="right")
    table.add_column(t("col_lesson", lang))
    table.add_column(t("col_title", lang))
    table.add_column(t("col_done", lang), justify="right")
    table.add_column("")
    for number, lesson_id, title, steps, done, here in rows:
        table.add_row(
            number,
            lesson_id,
            title,
            f"{done}/{steps}",
            Text(t("here", lang), style="cyan") if here else "",
        )
    return table


def progress_table(records: Sequence[Any], lang: str, path: str) -> Table:
    """Every step the learner has touched: status, attempts, hints, time."""
    table = _table(t("progress_title", lang, path=path))
    for head, justify in (
        ("col_lesson", "left"),
        ("col_step", "left"),
        ("col_status", "left"),
        ("col_attempts", "right"),
        ("col_hints", "right"),
        ("col_seconds", "right"),
    ):
        table.add_column(t(head, lang), justify=justify)  # type: ignore[arg-type]
    for r in records:
        table.add_row(
            r.lesson,
            r.step,
            status_word(r.status, lang),
            str(r.attempts),
            str(r.hints),
            f"{r.seconds:.0f}",
        )
    return table


def inspect_panel(info: dict[str, Any], lang: str, max_lines: int = 30) -> RenderableType:
    """``?name``: the signature and the docstring (cut after ``max_lines``)."""
    if not info.get("found"):
        return note(t("not_found", lang, name=info.get("name", "")))
    doc_lines = (info.get("doc") or "").splitlines()
    signature = str(info.get("signature") or "")
    # torch's C functions repeat the signature as the docstring's first line.
    while (
        doc_lines
        and signature
        and doc_lines[0].strip()
        and (signature.endswith(doc_lines[0].strip()) or doc_lines[0].strip() in signature)
    ):
        doc_lines = doc_lines[1:]
    while doc_lines and not doc_lines[0].strip():
        doc_lines = doc_lines[1:]
    doc = "\n".join(doc_lines[:max_lines]) + ("\n…" if len(doc_lines) > max_lines else "")
    parts: list[RenderableType] = []
    if info.get("signature"):
        parts.append(code(info["signature"]))
    parts.append(Text(doc))
    return Panel(
        Group(*parts),
        title=str(info.get("name", "")),
        title_align="left",
        border_style="blue",
        box=box.ROUNDED,
    )


def answers(found: Sequence[Any], lang: str) -> RenderableType:
    """Answers to a plain-words question, best first."""
    if not found:
        return markdown(t("no_answer", lang))
    parts: list[RenderableType] = [Text(t("answers_title", lang), style="bold")]
    for i, a in enumerate(found):
        if i:
            parts.append(Text(""))  # a blank line before each answer's heading, as after it
        source = t("glossary", lang) if a.source == "glossary" else a.source
        # A step's answer is already its best paragraph (tutor.session.ask); /goto shows the rest.
        parts.append(markdown(f"**{a.title}** _({source})_\n\n{a.text}"))
    return Panel(Group(*parts), border_style="green", box=box.ROUNDED, padding=(0, 1))


__all__ = [
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
    "note",
    "numbered",
    "outcome",
    "progress_line",
    "progress_table",
    "solution",
    "status_word",
    "step_panel",
    "tutor_says",
    "vars_table",
    "verdict",
    "verdict_brief",
    "verdict_table",
]
