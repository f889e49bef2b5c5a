"""`grad-missing-requires-grad`: one detector.

Speaks when a gradient is wanted and the tensor it belongs to does not require grad.
"""

from __future__ import annotations

from tutor import codeinfo
from tutor.judge.detectors._case import (
    Case,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.gradients._autograd import (
    _cut_off,
    _grad_check_failed,
    _grad_missing,
    _made_by_op,
    _operands_of,
    _source_value,
    _wants_grad,
)
from tutor.judge.verdict import Feedback


@detector(
    "grad-missing-requires-grad",
    premise="a gradient is wanted and the tensor it belongs to does not require grad",
    order=80,
)
def _grad_missing_requires_grad(case: Case) -> Feedback | None:
    source, value = _source_value(case)
    ref = case.ref_context.get(source) or (case.reference if source == case.name else None)
    if value is None or value.kind != "tensor" or value.requires_grad:
        return None
    wanted = bool(ref is not None and ref.requires_grad) or case.expect.get("requires_grad") is True
    if not _grad_check_failed(case) or not (wanted or (_wants_grad(case) and _grad_missing(case))):
        return None
    computed = value.is_leaf is False or _made_by_op(case.code, source)
    if computed:
        tracked = [
            n
            for n in sorted(_operands_of(case.code, source))
            if (v := case.context.get(n)) is not None and v.kind == "tensor" and v.requires_grad
        ]
        if tracked:  # its input requires grad: something cut the graph
            return _cut_off(case, source, tracked[0])
        where = case.msg("grad-missing-requires-grad", "computed")
    elif case.code.strip() and source not in codeinfo.assigned(case.code):
        # A tensor that already exists (given, or made earlier): switch tracking on.
        where = case.msg("grad-missing-requires-grad", "switch_on", source=source)
    else:
        where = case.msg("grad-missing-requires-grad", "create")
    return case.say("grad-missing-requires-grad", source=source, where=where)
