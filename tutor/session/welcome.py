"""What the tutor says when a session starts: the course map on a first start, and a word when
``--device`` asked for a device this machine cannot use. ``session`` is the
``tutor.session.conversation.Session`` (not imported: it imports this module)."""

from __future__ import annotations

from typing import Any

from tutor.course.lesson import lesson_number
from tutor.i18n import t
from tutor.render import chat as render

# Rough minutes a learner spends on a step of each kind.
_STEP_MINUTES = {"read": 1.0, "quiz": 1.0, "predict": 1.5, "code": 3.0, "explore": 2.0}


def minutes(lesson: Any) -> int:
    """A lesson's rough length in minutes, to the nearest five (at least five)."""
    spent = sum(_STEP_MINUTES.get(step.kind, 1.0) for step in lesson.steps)
    return max(5, 5 * round(spent / 5))


def show_course_map(session: Any) -> None:
    """A first start: the lessons, roughly how long each takes, and how to skip ahead."""
    lang = session.lang
    rows = [
        (lesson_number(lesson, i), lesson.id, lesson.title.get(lang), minutes(lesson))
        for i, lesson in enumerate(session.lessons)
    ]
    session.show(render.course_map(rows, lang))
    total = sum(row[3] for row in rows)
    hours = (
        t("hours", lang, h=total // 60, m=total % 60)
        if total >= 60
        else t("minutes", lang, n=total)
    )
    skip = rows[1][0] if len(rows) > 1 else rows[0][0]
    session.say("course_map_hint", "dim", hours=hours, first=rows[0][0], skip=skip)


def tell_device(session: Any) -> None:
    """``--device cuda`` (or mps) on a machine that cannot: say so at the start."""
    requested = str(getattr(session.sandbox, "requested_device", "auto") or "auto")
    if requested in ("auto", "cpu"):
        return
    sb = session.ready_sandbox()  # the learner asked for a device: wait to know it works
    if sb is None:
        return
    try:
        info = sb.device_info()
    except Exception:  # noqa: BLE001 - nothing known, nothing to say
        return
    if not info.get("device_error"):
        return
    if requested.startswith("cuda") and not info.get("cuda"):
        why = t("no_cuda_seen", session.lang)
    elif requested == "mps" and not info.get("mps"):
        why = t("no_mps_seen", session.lang)
    else:
        why = t("device_broken", session.lang)
    session.say("device_fallback", "yellow", device=requested, why=why)


__all__ = ["minutes", "show_course_map", "tell_device"]
