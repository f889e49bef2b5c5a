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
    for row in rows:
        table.add_row(
            Text(row.file),
            outcome_word(row.outcome, lang),
            Text(", ".join(row.failing)),
            Text(", ".join(row.feedback), style="yellow"),
            f"{row.seconds:.2f}",
        )
    return Fitted(table)


def histogram(counts: Sequence[tuple[str, int]], title: str, total: int | None = None) -> Group:
    """A title, then counts as bars, longest first: ``no-broadcast  ████████ 8``.

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
    return Group(Text(title, style="bold"), table)


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
            ),
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


__all__ = ["grade_report", "grade_table", "histogram", "outcome_word"]
