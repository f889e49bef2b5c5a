"""Tables and panels: /help, /vars, /env, /lessons, progress, ?name, answers to questions.

UI side (rich, never torch); tutor.render.chat re-exports them for the session.
"""

from __future__ import annotations

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


def lessons_table(rows: Sequence[tuple[str, str, str, int, int, bool]], lang: str) -> Table:
    """The catalog: number, id, title, exercises passed of the lesson's exercises, and where the
    learner is."""
    table = _table(t("lessons_title", lang))
    table.add_column("#", justify="right")
    table.add_column(t("col_lesson", lang))
    table.add_column(t("col_title", lang))
    table.add_column(t("col_done", lang), justify="right")
    table.add_column("")
    for number, lesson_id, title, exercises, done, here in rows:
        table.add_row(
            number,
            lesson_id,
            title,
            f"{done}/{exercises}",
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
