"""`grad-accumulated`: one detector.

Speaks when a gradient check failed and the gradient is a whole multiple (2 or more) of the
expected one.
"""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
    _close,
    _vals,
    _wide,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.gradients._autograd import (
    _backward_calls,
    _grad_check_failed,
    _grads,
)
from tutor.judge.verdict import Feedback


@detector(
    "grad-accumulated",
    premise=(
        "a gradient check failed, the gradient is a whole multiple k (2 or more) of the "
        "expected one, and the code calls backward() k times (or in a loop)"
    ),
    order=60,
)
def _grad_accumulated(case: Case) -> Feedback | None:
    got, want = _grads(case)
    if got is None or want is None or got.shape != want.shape or not _grad_check_failed(case):
        return None
    nonzero = _wide(want).abs() > 1e-12
    if not bool(nonzero.any()):
        return None
    ratio = (_wide(got)[nonzero] / _wide(want)[nonzero]).real
    k = round(float(ratio.mean()))
    if k < 2 or not _close(got, want * k) or _backward_calls(case.code) < k:
        return None  # k x the gradient, but the code cannot have run backward() k times
    base = case.name.removesuffix(".grad")
    return case.say("grad-accumulated", base=base, k=k, want=_vals(want))
