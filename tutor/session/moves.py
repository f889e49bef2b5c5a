"""Moving a session on and back: the next step (or stop of a workshop route, or lesson from
the same folder), the previous one, and what is said when a lesson is left. ``session`` is
the ``tutor.session.conversation.Session`` (not imported: it imports this module)."""

from __future__ import annotations

from typing import Any

from tutor.session import commands, places


def advance(session: Any) -> None:
    """The next step: the route's next stop on a route; else the lesson's next step, or
    the first of the next lesson from the same folder (a custom lesson does not run on
    into a built-in one: the lessons are shown to pick from), or the end of the course.

    Leaving a lesson says whether it is complete; leaving the last one also says
    whether the whole course is, never "finished" for a course with lessons left.
    """
    if session.step.kind in ("read", "explore") and session.store.get(*session.key).status not in (
        "passed",
        "skipped",
    ):
        session.store.set_status(*session.key, "passed")  # read: done, as an answered step is
    if session.route is not None:
        place = places.route_next(session.route, session.li, session.si)
        if place is None:
            session.say("route_done", "green")
            return
        if place[0] != session.li and session.route.index(session.li, session.si) is not None:
            say_lesson_end(session)
        session.goto(*place)
        return
    if session.si + 1 < len(session.lesson.steps):
        session.goto(session.li, session.si + 1)
        return
    say_lesson_end(session)
    following = places.next_lesson(session.lessons, session.li)
    if following is not None:
        session.goto(following, 0)
        return
    if session.li + 1 < len(session.lessons):
        # What follows comes from another folder: stop here and show the way on.
        session.say("lessons_end_menu", "dim")
        session.show(commands.lessons_view(session))
        return
    unfinished = [lesson for lesson in session.lessons if not session.lesson_complete(lesson)]
    if unfinished:
        session.say("course_end", total=len(session.lessons), left=len(unfinished))
    else:
        session.say("course_done")


def say_lesson_end(session: Any) -> None:
    """Whether the lesson being left is complete (reached by /goto or /skip: what is
    left rather than "complete"; "done" counts what the progress line counts)."""
    title = session.lesson.title.get(session.lang)
    done, total = session.exercises_done(session.lesson)
    if session.lesson_complete(session.lesson):
        session.say("lesson_done", "green", title=title)
    else:
        session.say("lesson_end", "yellow", title=title, done=done, total=total)


def back(session: Any) -> None:
    """The previous step (on a route: the previous stop; else the last step of the
    previous lesson at a lesson's start)."""
    if places.on_route(session.route, session.li, session.si) is not None:
        assert session.route is not None
        place = places.route_previous(session.route, session.li, session.si)
        if place is None:
            session.say("first_step", "dim")
        else:
            session.goto(*place)
        return
    if session.si > 0:
        session.goto(session.li, session.si - 1)
    elif session.li > 0:
        session.goto(session.li - 1, len(session.lessons[session.li - 1].steps) - 1)
    else:
        session.say("first_step", "dim")


__all__ = ["advance", "back", "say_lesson_end"]
