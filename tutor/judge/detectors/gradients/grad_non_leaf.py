"""`grad-non-leaf`: one detector.

Speaks when the step is about gradients and `.grad` was read from a tensor computed from others.
"""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.gradients._autograd import (
    _backward_calls,
    _grad_expected,
    _grad_missing,
    _made_by_op,
    _source_value,
    _wants_grad,
)
from tutor.judge.verdict import Feedback


@detector(
    "grad-non-leaf",
    premise=(
        "a gradient is expected on this name, backward() ran (in the code or the solution), "
        "and `.grad` was read from a tensor computed from others"
    ),
    order=70,
)
def _grad_non_leaf(case: Case) -> Feedback | None:
    if not (_wants_grad(case) and _grad_missing(case) and _grad_expected(case)):
        return None
    if not (case.calls("backward") or _backward_calls(case.solution)):
        return None  # "after backward()" needs a backward() somewhere
    source, value = _source_value(case)
    if value is not None and value.kind == "tensor":
        if value.is_leaf is not False:
            return None
        made = case.msg("grad-non-leaf", "made", grad_fn=value.grad_fn) if value.grad_fn else ""
    elif _made_by_op(case.code, source):
        made = ""
    else:
        return None
    leaves = [
        n
        for n, v in case.context.items()
        if v.kind == "tensor" and v.is_leaf and v.requires_grad and "." not in n
    ]
    read = (
        case.msg("grad-non-leaf", "read_leaf", leaf=leaves[0])
        if leaves
        else case.msg("grad-non-leaf", "read_created")
    )
    return case.say("grad-non-leaf", source=source, made=made, read=read)
