"""`list-not-tensor`: the learner's list or tuple holds the expected tensor's values."""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
    _close,
    _data,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "list-not-tensor",
    premise="the learner's list or tuple holds the expected tensor's values",
    order=10,
)
def _list_not_tensor(case: Case) -> Feedback | None:
    ref = case.reference
    if case.learner.kind not in ("list", "tuple") or ref is None or ref.kind != "tensor":
        return None
    if not _close(_data(case.learner), _data(ref)):
        return None
    kind = case.msg("list-not-tensor", case.learner.kind)  # "list" / "tuple" in the language
    return case.say("list-not-tensor", name=case.name, kind=kind)
