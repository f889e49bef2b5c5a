"""What the tutor says when a session starts: the course map on a first start, and a word when
``--device`` asked for a device this machine cannot use. ``session`` is the
``tutor.session.conversation.Session`` (not imported: it imports this module)."""

from __future__ import annotations

from typing import Any

from tutor.course.lesson import lesson_minutes, lesson_number
from tutor.i18n import t
from tutor.render import chat as render


def minutes(lesson: Any) -> int:
    """A lesson's length in minutes: the author's estimate, else a rough one from its steps
    (``tutor.course.lesson.lesson_minutes``, which ``/lessons`` and ``lessons`` show too)."""
    return lesson_minutes(lesson)[0]


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
