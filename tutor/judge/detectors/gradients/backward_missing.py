"""`backward-missing`: one detector.

Speaks when a leaf that requires grad has no `.grad` and the code never calls `backward`.
"""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.gradients._autograd import (
    _grad_missing,
    _result_of,
    _source_value,
    _wants_grad,
)
from tutor.judge.verdict import Feedback


@detector(
    "backward-missing",
    premise="a leaf that requires grad has no `.grad` and the code never calls `backward`",
    order=90,
)
def _backward_missing(case: Case) -> Feedback | None:
    if not (_wants_grad(case) and _grad_missing(case)) or case.calls("backward", "grad"):
        return None
    source, value = _source_value(case)
    if value is None or value.kind != "tensor" or not value.requires_grad or not value.is_leaf:
        return None
    result = _result_of(case.solution)
    here = case.msg("backward-missing", "here", result=result) if result else ""
    return case.say("backward-missing", source=source, here=here)
