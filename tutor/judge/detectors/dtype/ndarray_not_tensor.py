"""`ndarray-not-tensor`: the learner's NumPy array holds the expected tensor's values."""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
    _close,
    _data,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "ndarray-not-tensor",
    premise="the learner's NumPy array holds the expected tensor's values",
    order=20,
)
def _ndarray_not_tensor(case: Case) -> Feedback | None:
    ref = case.reference
    if case.learner.kind != "ndarray" or ref is None or ref.kind != "tensor":
        return None
    if not _close(_data(case.learner), _data(ref)):
        return None
    return case.say("ndarray-not-tensor", name=case.name)
