"""`matmul-vs-mul`: one detector.

Speaks when the learner took the matrix product where the element-wise product is expected.
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
    _want,
)
from tutor.judge.verdict import Feedback


@detector(
    "matmul-vs-mul",
    premise="the learner took the matrix product where the element-wise product is expected",
    order=120,
)
def _matmul_vs_mul(case: Case) -> Feedback | None:
    if not case.calls(*_MATMUL) or case.calls(*_MUL):
        return None
    pairs = _operands(case.code, (ast.MatMult,), ("matmul", "mm", "mv", "dot"))
    fits = _product_fits(case, pairs, torch.matmul, torch.mul)
    if fits is None:  # operands unknown: the solution must multiply two tensors element-wise
        fits = _tensor_product(case.solution, (ast.Mult,), _MUL[1:])
    if not fits or _same(case):
        return None
    return case.say(
        "matmul-vs-mul", gave=_gave(case, "matmul-vs-mul"), want=_want(case, "matmul-vs-mul")
    )
