"""What the tutor says at the start: the course map of a first start, a device it cannot use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutor.course.lesson import Lesson, lesson_number
from tutor.i18n import t
from tutor.render import chat as render

if TYPE_CHECKING:
    from rich.table import Table

    from tutor.sandbox import Sandbox

# Rough minutes a learner spends on a step of each kind.
_STEP_MINUTES = {"read": 1.0, "quiz": 1.0, "predict": 1.5, "code": 3.0, "explore": 2.0}


def minutes(lesson: Lesson) -> int:
    """A lesson's rough length in minutes, to the nearest five (at least five)."""
    spent = sum(_STEP_MINUTES.get(step.kind, 1.0) for step in lesson.steps)
    return max(5, 5 * round(spent / 5))


def course_map(lessons: list[Lesson], lang: str) -> tuple[Table, dict[str, Any]]:
    """The lessons with rough times, and the fields of the ``course_map_hint`` line."""
    rows = [
        (lesson_number(lesson, i), lesson.id, lesson.title.get(lang), minutes(lesson))
        for i, lesson in enumerate(lessons)
    ]
    total = sum(row[3] for row in rows)
    hours = (
        t("hours", lang, h=total // 60, m=total % 60)
        if total >= 60
        else t("minutes", lang, n=total)
    )
    skip = rows[1][0] if len(rows) > 1 else rows[0][0]
    return render.course_map(rows, lang), {"hours": hours, "first": rows[0][0], "skip": skip}


def device_problem(sb: Sandbox, requested: str, lang: str) -> str | None:
    """Why ``--device REQUESTED`` is not used here, in words; None when it is."""
    try:
        info = sb.device_info()
    except Exception:  # noqa: BLE001 - nothing known, nothing to say
        return None
    if not info.get("device_error"):
        return None
    if requested.startswith("cuda") and not info.get("cuda"):
        return t("no_cuda_seen", lang)
    if requested == "mps" and not info.get("mps"):
        return t("no_mps_seen", lang)
    return t("device_broken", lang)


def show_course_map(session: Any) -> None:
    """A first start: the lessons, roughly how long each takes, and how to skip ahead."""
    table, fields = course_map(session.lessons, session.lang)
    session.show(table)
    session.say("course_map_hint", "dim", **fields)


def tell_device(session: Any) -> None:
    """``--device cuda`` (or mps) on a machine that cannot: say so at the start."""
    requested = str(getattr(session.sandbox, "requested_device", "auto") or "auto")
    if requested in ("auto", "cpu"):
        return
    sb = session.ready_sandbox()  # the learner asked for a device: wait to know it works
    why = device_problem(sb, requested, session.lang) if sb is not None else None
    if why:
        session.say("device_fallback", "yellow", device=requested, why=why)
