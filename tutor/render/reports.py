"""Rich renderables for an instructor's reports: graded submissions and histograms.

Plain data in (``tutor.grade.Row`` and counts), renderables out; marks are
characters as well as colours (✓ ✗ █), so plain text keeps them. Tables wrap
their cells at spaces and commas, never inside a file name or an id, so they
stay readable on a 60-column projector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tutor.i18n import t
from tutor.render._fit import Fitted

_BAR = 24  # the longest bar, in cells


def outcome_word(outcome: str, lang: str) -> Text:
    """A submission's outcome as a mark and a word: ``✓ passed``, ``✗ time limit``."""
    passed = outcome == "passed"
    return Text(
        ("✓ " if passed else "✗ ") + t(f"outcome_{outcome}", lang),
        style="green" if passed else "red",
    )


def grade_table(rows: Sequence[Any], lang: str, title: str | None = None) -> Fitted:
    """One line per submission: file, result, failing checks, feedback ids, seconds."""
    table = Table(
        title=title, box=box.SIMPLE_HEAD, title_justify="left", header_style="bold", pad_edge=False
    )
    table.add_column(t("col_file", lang))
    table.add_column(t("col_result", lang), no_wrap=True)
    table.add_column(t("col_failing", lang))
    table.add_column(t("col_feedback", lang))
    table.add_column(t("col_seconds", lang), justify="right", no_wrap=True)
    names = _short_names([row.file for row in rows])
    for row, name in zip(rows, names, strict=True):
        table.add_row(
            Text(name),
            outcome_word(row.outcome, lang),
            Text(", ".join(row.failing)),
            Text(", ".join(row.feedback), style="yellow"),
            f"{row.seconds:.2f}",
        )
    return Fitted(table)


def _short_names(files: Sequence[str]) -> list[str]:
    """File names relative to the folder they all sit in (``answers/ada.py`` -> ``ada.py``),
    so the table keeps its room for the results; the title names the folder."""
    import os

    if len(files) < 2:
        return [os.path.basename(f) for f in files]
    try:
        common = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
    except ValueError:
        return list(files)
    return [os.path.relpath(os.path.abspath(f), common) for f in files]


def bars(counts: Sequence[tuple[str, int]], total: int | None = None) -> Table:
    """Counts as bars, longest first: ``no-broadcast  ████████ 8``.

    ``total``: what the bars are a share of (the failing submissions); by default the
    largest count fills the bar.
    """
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(overflow="fold")
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    top = max([n for _, n in counts] + [total or 0, 1])
    for name, n in counts:
        cells = max(1, round(_BAR * n / top))
        table.add_row(Text(name), Text("█" * cells, style="magenta"), str(n))
    return table


def histogram(counts: Sequence[tuple[str, int]], title: str, total: int | None = None) -> Group:
    """A title, then the counts as bars (see ``bars``)."""
    return Group(Text(title, style="bold"), bars(counts, total))


def _folder_of(rows: Sequence[Any]) -> str:
    """`` (in FOLDER)`` when the submissions share a folder, else ""."""
    import os

    files = [os.path.abspath(row.file) for row in rows]
    if not files:
        return ""
    try:
        common = os.path.commonpath([os.path.dirname(f) for f in files])
    except ValueError:
        return ""
    shown = os.path.relpath(common)
    return f" — {common if shown.startswith('..') else shown}" if len(files) > 1 else ""


def grade_report(
    rows: Sequence[Any],
    summary: dict[str, Any],
    lang: str,
) -> Group:
    """The whole report: the table, the mistakes and failing checks as histograms, a summary."""
    parts: list[RenderableType] = [
        grade_table(
            rows,
            lang,
            t(
                "grade_title",
                lang,
                lesson=summary["lesson"],
                step=summary["step"],
                count=summary["total"],
            )
            + _folder_of(rows),
        )
    ]
    failed = [row for row in rows if not row.passed]
    mistakes = [(m["id"], m["count"]) for m in summary["mistakes"]]
    checks = [(c["name"], c["count"]) for c in summary["failing_checks"]]
    if mistakes:
        parts += [Text(""), histogram(mistakes, t("grade_mistakes", lang), len(failed))]
    if checks:
        parts += [Text(""), histogram(checks, t("grade_checks", lang), len(failed))]
    counts = ("，" if lang == "zh" else ", ").join(
        f"{t(f'outcome_{name}', lang)} {n}" for name, n in summary["outcomes"].items()
    )
    parts += [
        Text(""),
        Text(t("grade_outcomes", lang, counts=counts)),
        Text(
            t(
                "grade_summary",
                lang,
                passed=summary["passed"],
                total=summary["total"],
                seconds=f"{summary['seconds']:.1f}",
                jobs=summary["jobs"],
            ),
            style="bold",
        ),
    ]
    return Group(*parts)


# ---------------------------------------------------------------- the class report


def duration(seconds: float | None, lang: str) -> str:
    """``45 s``, ``12 min``, ``1 h 5 min``, ``3 d``; "" when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return t("duration_s", lang, n=round(seconds))
    minutes = round(seconds / 60)
    if minutes < 60:
        return t("duration_min", lang, n=minutes)
    if minutes < 48 * 60:
        return t("duration_h", lang, h=minutes // 60, m=minutes % 60)
    return t("duration_d", lang, n=minutes // (24 * 60))


def _help_word(how: str, lang: str) -> str:
    return t(f"help_{how}", lang) if how in ("hints", "solution") else ""


def class_where(report: Any, lang: str) -> Fitted:
    """One line per learner: the step they are at, their passes (those made with help in
    brackets), their tries and time at that step, when last active; a stuck one marked ⚠."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, collapse_padding=True)
    for head, justify, wrap in (
        ("col_learner", "left", True),
        ("col_at", "left", True),
        ("col_passed_help", "right", True),
        ("col_here", "right", False),  # "4× · 5 min" reads as one
        ("col_last", "right", False),
    ):
        table.add_column(t(head, lang), justify=justify, no_wrap=not wrap)  # type: ignore[arg-type]
    for learner in report.learners:
        here = learner.at()
        stuck = report.stuck(learner)
        idle = report.idle(learner)
        passed, helped = len(learner.passed), len(learner.helped)
        name = Text(learner.name, style="bold")
        if stuck:
            name = Text(f"⚠ {learner.name}", style="bold red")
        table.add_row(
            name,
            Text(here.name if here else "—", style="cyan"),
            f"{passed} ({helped})" if helped else str(passed),
            t("tries_here", lang, count=here.attempts, time=duration(here.seconds, lang))
            if here
            else "",
            t("ago", lang, time=duration(idle, lang)) if idle is not None else "",
        )
    if any(report.stuck(learner) for learner in report.learners):
        table.caption = f"⚠ {t('stuck_mark', lang)}"
        table.caption_justify = "left"
    return Fitted(table)


def class_stuck(report: Any, lang: str) -> RenderableType:
    """The stuck learners: where, how many tries, how long, when last active."""
    title = Text(
        t(
            "class_stuck",
            lang,
            attempts=report.stuck_attempts,
            minutes=f"{report.stuck_minutes:g}",
        ),
        style="bold",
    )
    stuck = report.stuck_learners()
    if not stuck:
        return Group(title, Text(t("class_nobody_stuck", lang), style="green"))
    table = Table(box=None, show_header=False, pad_edge=False)
    for _ in range(5):
        table.add_column()
    for learner in stuck:
        here = learner.at()
        idle = report.idle(learner)
        table.add_row(
            Text(f"⚠ {learner.name}", style="bold red"),
            Text(here.name if here else "", style="cyan"),
            f"{here.attempts if here else 0}×",
            duration(here.seconds if here else 0, lang),
            t("ago", lang, time=duration(idle, lang)) if idle is not None else "",
        )
    return Group(title, Fitted(table))


def class_mistakes(report: Any, lang: str, most: int = 3) -> RenderableType:
    """Per step, the most common feedback ids (as bars) and failing checks."""
    parts: list[RenderableType] = [Text(t("class_mistakes", lang), style="bold")]
    found = report.mistakes(most)
    for step in found:
        learners = t("learners_count", lang, count=step.learners)
        parts.append(
            Text(
                t(
                    "class_step_line",
                    lang,
                    step=step.step,
                    tries=t("tries_count", lang, count=step.failing),
                    learners=learners,
                ),
                style="cyan",
            )
        )
        if step.ids:
            named = [
                (f"{m.name} ({t('learners_count', lang, count=m.learners)})", m.count)
                for m in step.ids
            ]
            parts.append(Padding(bars(named, step.failing), (0, 0, 0, 2)))
        if step.checks:
            checks = ", ".join(f"{m.name} {m.count}" for m in step.checks)
            parts.append(Text(f"  {t('checks_label', lang)}: {checks}", style="dim"))
    return Group(*parts)


def class_help(report: Any, lang: str) -> RenderableType:
    """The passes made with the solution or every hint: who, where, which help."""
    rows = [(le.name, s.name, s.assisted) for le in report.learners for s in le.helped]
    if not rows:
        return Text(t("class_no_help", lang), style="dim")
    table = Table(box=None, show_header=False, pad_edge=False)
    for _ in range(3):
        table.add_column()
    for name, step, how in rows:
        table.add_row(Text(name, style="bold"), Text(step, style="cyan"), _help_word(how, lang))
    return Group(Text(t("class_help", lang, count=len(rows)), style="bold"), Fitted(table))


def class_report(report: Any, lang: str) -> Group:
    """The whole class: who is where, who is stuck, the common mistakes, help."""
    return Group(
        Text(t("class_title", lang, count=len(report.learners)), style="bold"),
        Text(""),
        Text(t("class_where", lang), style="bold"),
        class_where(report, lang),
        Text(""),
        class_stuck(report, lang),
        Text(""),
        class_mistakes(report, lang),
        Text(""),
        class_help(report, lang),
    )


__all__ = [
    "class_help",
    "class_mistakes",
    "class_report",
    "class_stuck",
    "class_where",
    "bars",
    "duration",
    "grade_report",
    "grade_table",
    "histogram",
    "outcome_word",
]
