"""What the `*`/`@` detectors share: which product the operands' values fit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.judge.detectors._case import (
    Case,
    _close,
    _data,
    _shape,
    _tensors,
)


def _product_fits(
    case: Case,
    pairs: list[tuple[str, str]],
    got_op: Callable[[Any, Any], Any],
    want_op: Callable[[Any, Any], Any],
) -> bool | None:
    """True when some operand pair gives the learner's value with one op and the reference's with
    the other; None when no pair's values are known."""
    pair = _tensors(case)
    known = False
    for left, right in pairs:
        a, b = _data(case.context.get(left)), _data(case.context.get(right))
        if a is None or b is None or pair is None:
            continue
        known = True
        try:
            if _close(got_op(a, b), pair[0]) and _close(want_op(a, b), pair[1]):
                return True
        except RuntimeError:  # the other product does not even fit these shapes
            continue
    return False if known else None


def _same(case: Case) -> bool:
    """Whether the learner's tensor already equals the reference's (nothing to diagnose)."""
    pair = _tensors(case)
    return pair is not None and _close(*pair)


def _sol_uses(case: Case, patterns: tuple[str, ...]) -> bool:
    return bool(codeinfo.calls_any(case.solution, patterns)) if case.solution else False


def _gave(case: Case, id_: str) -> Msg | str:
    """ ", which gave `c` shape (2, 3)" when the learner's value is a tensor, else nothing."""
    if case.learner.kind != "tensor" or case.learner.shape is None:
        return ""
    return case.msg(id_, "gave", name=case.name, shape=_shape(case.learner.shape))


def _want(case: Case, id_: str) -> Msg | str:
    ref = case.reference
    if ref is None or ref.shape is None:
        return ""
    return case.msg(id_, "want", shape=_shape(ref.shape))
