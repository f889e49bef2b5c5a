"""Tables and panels: /help, /vars, /env, /lessons, progress, ?name, answers to questions.

UI side (rich, never torch); tutor.render.chat re-exports them for the session.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.i18n import help_rows, t
from tutor.render.text import code, markdown, note


class ProgressRow(Protocol):
    """A row of the progress store (``tutor.progress.StepRecord``), as the table reads it."""

    @property
    def lesson(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def hints(self) -> int: ...
    @property
    def seconds(self) -> float: ...


class Found(Protocol):
    """An answer to a plain-words question (``tutor.session.ask.Answer``)."""

    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def source(self) -> str: ...


def _table(title: str | None = None, header: bool = True) -> Table:
    return Table(
        title=title, box=box.ROUNDED, title_justify="left", header_style="bold", show_header=header
    )


def help_table(lang: str) -> Table:
    """The commands and what they do."""
    table = _table(t("help_title", lang), header=False)
    table.add_column("")
    table.add_column("")
    for usage, what in help_rows(lang):
        table.add_row(Text(usage, style="cyan"), what)
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


def value_panel(info: dict[str, Any], lang: str) -> RenderableType:
    """``/vars NAME``: the variable's row (type, shape ...) and its value, cut to a screenful,
    with how many numbers a tensor holds; or, for a name there is not, the names there are."""
    if not info.get("found"):
        names = ", ".join(info.get("names") or ()) or "—"
        return markdown(t("no_such_var", lang, name=info.get("name", ""), names=names))
    parts: list[RenderableType] = [vars_table([info.get("row") or {}], lang)]
    parts.append(Text(str(info.get("value", "")), no_wrap=False))
    stats = info.get("stats") or {}
    notes = []
    if "numel" in stats:
        notes.append(t("value_numel", lang, count=stats["numel"], shown=f"{stats['numel']:,}"))
    if "min" in stats:
        notes.append(t("value_range", lang, low=stats["min"], high=stats["max"]))
    if "mean" in stats:
        notes.append(t("value_mean", lang, mean=stats["mean"]))
    if info.get("hidden_lines"):
        notes.append(t("value_more_lines", lang, n=info["hidden_lines"]))
    if notes:
        parts.append(Text(t("language.list_sep", lang).join(notes), style="dim"))
    return Panel(
        Group(*parts),
        title=str(info.get("name", "")),
        title_align="left",
        border_style="blue",
        box=box.ROUNDED,
    )


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
    if error:  # --device asked for one this machine cannot use: the CPU runs the code
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


def lessons_table(rows: Sequence[tuple[str, str, str, int, int, int, bool]], lang: str) -> Table:
    """The catalog: number, id, title, exercises passed of the lesson's exercises (and how many
    were skipped), and where the learner is."""
    table = _table(t("lessons_title", lang))
    table.add_column("#", justify="right")
    table.add_column(t("col_lesson", lang))
    table.add_column(t("col_title", lang))
    table.add_column(t("col_done", lang), justify="right")
    table.add_column("")
    for number, lesson_id, title, exercises, done, skipped, here in rows:
        count = f"{done}/{exercises}"
        if skipped:
            count = t("lessons_skipped", lang, done=done, total=exercises, skipped=skipped)
        table.add_row(
            number,
            lesson_id,
            title,
            count,
            Text(t("here", lang), style="cyan") if here else "",
        )
    return table


def progress_table(records: Sequence[ProgressRow], lang: str, path: str) -> Table:
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


def inspect_panel(info: dict[str, Any], lang: str, max_lines: int = 40) -> RenderableType:
    """``?name``: the signature and the docstring as readable text (Markdown from its reST and
    LaTeX, whole blocks up to about ``max_lines``); in another language than English, first a
    line in that language saying what it does, or plainly that there is none."""
    from tutor.render import docstring

    if not info.get("found"):
        return note(t("not_found", lang, name=info.get("name", "")))
    doc_lines = (info.get("doc") or "").splitlines()
    signature = str(info.get("signature") or "")
    short = str(info.get("name", "")).lstrip("?").strip().rsplit(".", 1)[-1]
    # torch's C functions repeat the signature as the docstring's first line.
    while (
        doc_lines
        and doc_lines[0].strip()
        and (
            (signature and doc_lines[0].strip() in signature)
            or (short and re.match(rf"{re.escape(short)}\(.*\)(\s*->.*)?$", doc_lines[0].strip()))
        )
    ):
        doc_lines = doc_lines[1:]
    while doc_lines and not doc_lines[0].strip():
        doc_lines = doc_lines[1:]
    parts: list[RenderableType] = []
    if info.get("signature"):
        parts.append(code(info["signature"]))
    text = _doc_blocks(docstring.readable("\n".join(doc_lines)), max_lines, name_of(info), lang)
    if lang != "en":
        name = str(info.get("name", "")).lstrip("?").strip()
        said = docstring.summary([str(info.get("canonical") or ""), name], lang)
        if said:
            text = (
                t("doc_summary", lang, summary=said) + "\n" + t("doc_english", lang) + "\n\n" + text
            )
        else:
            text = t("doc_no_summary", lang) + "\n\n" + text
    parts.append(markdown(text))
    return Panel(
        Group(*parts),
        title=str(info.get("name", "")),
        title_align="left",
        border_style="blue",
        box=box.ROUNDED,
    )


def _doc_blocks(text: str, max_lines: int, name: str, lang: str) -> str:
    """Whole Markdown blocks (a code block never cut open) up to about ``max_lines``; then a
    line that says where the rest is."""
    blocks: list[str] = []
    for block in text.split("\n\n"):
        if blocks and blocks[-1].count("```") % 2:  # inside a code block: its blank line
            blocks[-1] += "\n\n" + block
        else:
            blocks.append(block)
    shown: list[str] = []
    for block in blocks:
        if shown and sum(b.count("\n") + 2 for b in shown) + block.count("\n") > max_lines:
            shown.append(t("doc_cut", lang, name=name))
            break
        shown.append(block)
    return "\n\n".join(shown)


def name_of(info: dict[str, Any]) -> str:
    """The name to hand ``help()`` in Python for what ``?name`` showed."""
    name = str(info.get("canonical") or info.get("name") or "").lstrip("?").strip()
    return "torch." + name if name.startswith("Tensor.") else name


def answers(found: Sequence[Found], lang: str) -> RenderableType:
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
