"""`mul-vs-matmul`: one detector.

Speaks when the learner multiplied element-wise where the operands' matrix product is expected.
"""

from __future__ import annotations

import ast

import torch

from tutor.judge.detectors._case import (
    _MATMUL,
    _MUL,
    Case,
    _operands,
    _tensor_product,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.ops._products import (
    _gave,
    _product_fits,
    _same,
    _sol_uses,
    _want,
)
from tutor.judge.verdict import Feedback


@detector(
    "mul-vs-matmul",
    premise=("the learner multiplied element-wise where the operands' matrix product is expected"),
    order=110,
)
def _mul_vs_matmul(case: Case) -> Feedback | None:
    if not case.calls(*_MUL) or case.calls(*_MATMUL):
        return None
    pairs = _operands(case.code, (ast.Mult,), ("mul", "multiply"))
    fits = _product_fits(case, pairs, torch.mul, torch.matmul)
    if fits is None:  # operands unknown: the code must say it, on both sides
        fits = _sol_uses(case, _MATMUL) and _tensor_product(case.code, (ast.Mult,), _MUL[1:])
    if not fits or _same(case):
        return None
    return case.say(
        "mul-vs-matmul", gave=_gave(case, "mul-vs-matmul"), want=_want(case, "mul-vs-matmul")
    )
