"""`transposed`: one detector.

Speaks when the learner's tensor, transposed, equals the expected one (and not every value is
alike).
"""

from __future__ import annotations

import ast

from tutor.i18n import Msg
from tutor.judge.detectors._case import (
    Case,
    _close,
    _shape,
    _tensor_product,
    _tensors,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "transposed",
    premise=(
        "the learner's tensor, transposed, equals the expected one (and not every value is alike)"
    ),
    order=100,
)
def _transposed(case: Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None or pair[0].dim() < 2 or _close(*pair):
        return None
    a, b = pair
    if not _close(a.transpose(-1, -2), b):
        return None
    if b.numel() < 2 or bool((b == b.flatten()[0]).all()):
        return None  # every value alike: any shape mistake "transposes" it, say the shape instead
    if 1 in a.shape[-2:] and case.calls("unsqueeze", "squeeze"):
        return None  # a row for a column made by (un)squeeze: the squeeze detectors say it better
    shapes: Msg | str = ""
    if a.shape != b.shape:
        shapes = case.msg("transposed", "shapes", got=_shape(a.shape), want=_shape(b.shape))
    if _tensor_product(case.code, (ast.MatMult,), ("matmul", "mm", "bmm")):
        why = case.msg("transposed", "why_order")
    else:
        why = case.msg("transposed", "why_dims")
    return case.say("transposed", name=case.name, shapes=shapes, why=why)
