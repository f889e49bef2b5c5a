"""`broadcast-bigger`: one detector.

Speaks when two of the learner's operands broadcast into a result bigger than the expected one.
"""

from __future__ import annotations

import torch

from tutor import codeinfo
from tutor.judge.detectors._case import (
    _ARITH,
    Case,
    _shape,
    _tensors,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


def _stretched(case: Case, result: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]] | None:
    """Two tensors the learner's code names, both smaller than ``result``, that broadcast to it."""
    shapes = [
        (n, tuple(v.shape))
        for n in sorted(codeinfo.names(case.code))
        if (v := case.context.get(n)) is not None
        and v.kind == "tensor"
        and v.shape is not None
        and 0 < len(v.shape)
        and tuple(v.shape) != result
    ]
    for i, (first, p) in enumerate(shapes):
        for second, q in shapes[i + 1 :]:
            try:
                if tuple(torch.broadcast_shapes(p, q)) == result:  # type: ignore[no-untyped-call]
                    return [(first, p), (second, q)]
            except RuntimeError:
                continue
    return None


@detector(
    "broadcast-bigger",
    premise=("two of the learner's operands broadcast into a result bigger than the expected one"),
    order=160,
)
def _broadcast_bigger(case: Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None or not case.calls(*_ARITH):
        return None
    a, b = pair
    if a.numel() <= b.numel() or a.dim() < b.dim():
        return None
    tail = a.shape[a.dim() - b.dim() :]
    if any(m not in (n, 1) for m, n in zip(b.shape, tail, strict=True)):
        return None
    stretched = _stretched(case, tuple(a.shape))
    if stretched is None:
        return None  # no two operands of the learner's grew into this shape: not broadcasting
    (first, p), (second, q) = stretched
    who = case.msg(
        "broadcast-bigger",
        "who",
        first=case.msg("broadcast-bigger", "operand", name=first, shape=_shape(p)),
        second=case.msg("broadcast-bigger", "operand", name=second, shape=_shape(q)),
    )
    got, want = _shape(a.shape), _shape(b.shape)
    return case.say("broadcast-bigger", name=case.name, got=got, want=want, who=who)
