"""`linspace-count`: one detector.

Speaks when the learner called `linspace` with the right ends and the wrong number of points.
"""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
    _arith,
    _close,
    _made_without,
    _num,
    _tensors,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "linspace-count",
    premise="the learner called `linspace` with the right ends and the wrong number of points",
    order=140,
)
def _linspace_count(case: Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None or pair[0].dim() != 1 or pair[1].dim() != 1 or _made_without(case, "linspace"):
        return None
    a, b = pair
    if a.numel() == b.numel() or not (_arith(a) and _arith(b)):
        return None
    if not (_close(a[:1], b[:1]) and _close(a[-1:], b[-1:])):
        return None
    lo, hi = _num(b[0].item()), _num(b[-1].item())
    return case.say("linspace-count", name=case.name, lo=lo, hi=hi, got=a.numel(), want=b.numel())
