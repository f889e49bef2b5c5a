"""`float-not-int`: the learner's floats stand where integers are expected, shapes alike."""

from __future__ import annotations

import ast

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.judge.detectors._case import (
    Case,
    _is_float,
    _is_int,
    _shapes_differ,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


def _has_float_literal(code: str) -> bool:
    tree = codeinfo.parse(code)
    return any(
        isinstance(node, ast.Constant) and isinstance(node.value, float)
        for node in (ast.walk(tree) if tree else ())
    )


@detector(
    "float-not-int",
    premise="the learner's floats stand where integers are expected, shapes alike",
    order=180,
)
def _float_not_int(case: Case) -> Feedback | None:
    ref = case.reference
    if ref is None:
        return None
    got_dtype = case.learner.dtype or case.learner.kind
    want_dtype = ref.dtype or ref.kind
    if not (_is_float(got_dtype) and _is_int(want_dtype)) or _shapes_differ(case.learner, ref):
        return None
    # Name the cause the code shows: a float literal, or the float-only torch.Tensor(...).
    how: Msg | str = ""
    if case.calls("torch.Tensor", "Tensor"):
        how = case.msg("float-not-int", "how_tensor")
    elif _has_float_literal(case.code):
        how = case.msg("float-not-int", "how_literal")
    return case.say("float-not-int", name=case.name, got=got_dtype, want=want_dtype, how=how)
