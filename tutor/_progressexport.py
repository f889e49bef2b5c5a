"""A learner's progress as CSV or JSON rows, one per step, that a class report can read back.

Private to :mod:`tutor.progress` (re-exported there). Each row names the learner, the
step, its status and whether its pass was made with help (``assisted``: ``hints`` or
``solution``), the counts, when the step was last touched, whether the learner is at
it now (``current``), and the feedback ids and failing checks its attempts got, with
how often (CSV: ``id:count`` separated by spaces; JSON: an object).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

EXPORT_FIELDS = (
    "learner",
    "lesson",
    "step",
    "status",
    "assisted",
    "attempts",
    "hints",
    "seconds",
    "last_activity",
    "current",
    "feedback_ids",
    "failing_checks",
)


class _Step(Protocol):
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
    @property
    def assisted(self) -> str: ...
    @property
    def updated(self) -> float: ...


class _Attempt(Protocol):
    @property
    def lesson(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def feedback(self) -> tuple[str, ...]: ...
    @property
    def checks(self) -> tuple[str, ...]: ...


def stamp(ts: float | None) -> str:
    """A Unix time as ISO 8601 in UTC (``2025-01-31T09:30:00+00:00``); "" for none."""
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def export_rows(
    records: Sequence[_Step],
    *,
    learner: str = "",
    position: tuple[str, str] | None = None,
    attempts: Iterable[_Attempt] = (),
) -> list[dict[str, Any]]:
    """One plain row per step, as ``--export`` writes it."""
    ids: dict[tuple[str, str], Counter[str]] = {}
    checks: dict[tuple[str, str], Counter[str]] = {}
    for a in attempts:
        ids.setdefault((a.lesson, a.step), Counter()).update(a.feedback)
        checks.setdefault((a.lesson, a.step), Counter()).update(a.checks)
    return [
        {
            "learner": learner,
            "lesson": r.lesson,
            "step": r.step,
            "status": r.status,
            "assisted": r.assisted if r.status == "passed" else "",
            "attempts": r.attempts,
            "hints": r.hints,
            "seconds": round(r.seconds, 1),
            "last_activity": stamp(r.updated),
            "current": position == (r.lesson, r.step),
            "feedback_ids": dict(ids.get((r.lesson, r.step), Counter()).most_common()),
            "failing_checks": dict(checks.get((r.lesson, r.step), Counter()).most_common()),
        }
        for r in records
    ]


def counted(text: str) -> dict[str, int]:
    """``"a:2 b:1"`` (a CSV cell) back to ``{"a": 2, "b": 1}``."""
    found: dict[str, int] = {}
    for item in text.split():
        name, _, count = item.rpartition(":")
        found[name or count] = int(count) if name and count.isdigit() else 1
    return found


def export(
    records: Sequence[_Step],
    fmt: str,
    *,
    learner: str = "",
    position: tuple[str, str] | None = None,
    attempts: Iterable[_Attempt] = (),
) -> str:
    """The records as CSV or JSON text."""
    rows = export_rows(records, learner=learner, position=position, attempts=attempts)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "current": "true" if row["current"] else "",
                "feedback_ids": _cell(row["feedback_ids"]),
                "failing_checks": _cell(row["failing_checks"]),
            }
        )
    return out.getvalue()


def _cell(counts: dict[str, int]) -> str:
    return " ".join(f"{name}:{n}" for name, n in counts.items())


__all__ = ["EXPORT_FIELDS", "counted", "export", "export_rows", "stamp"]
