"""`arange-end`: one detector.

Speaks when the learner called `arange` and the result is one value short of (or past) the
expected range.
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
    "arange-end",
    premise=(
        "the learner called `arange` and the result is one value short of (or past) the "
        "expected range"
    ),
    order=130,
)
def _arange_end(case: Case) -> Feedback | None:
    pair = _tensors(case)
    if (
        pair is None
        or pair[0].dim() != 1
        or pair[1].dim() != 1
        or _made_without(case, "arange", "range")
    ):
        return None
    a, b = pair
    short, long_ = (a, b) if a.numel() < b.numel() else (b, a)
    if long_.numel() - short.numel() != 1 or not _arith(long_) or short.numel() == 0:
        return None
    if not _close(long_[:-1], short):
        return None
    step = _num((long_[1] - long_[0]).item())
    fix = (
        f"`torch.arange({_num(b[0].item())}, "
        f"{_num((b[-1] + (long_[1] - long_[0])).item())}, {step})`"
    )
    part = "early" if a.numel() < b.numel() else "late"
    last, want_last = _num(a[-1].item()), _num(b[-1].item())
    return case.say("arange-end", part, name=case.name, last=last, want_last=want_last, fix=fix)
