"""`int-not-float`: the learner's integers stand where floats are expected, shapes alike."""

from __future__ import annotations

from tutor.i18n import Msg
from tutor.judge.detectors._case import (
    Case,
    _close,
    _data,
    _is_float,
    _is_int,
    _shapes_differ,
    _vals,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "int-not-float",
    premise="the learner's integers stand where floats are expected, shapes alike",
    order=170,
)
def _int_not_float(case: Case) -> Feedback | None:
    ref = case.reference
    if ref is None:
        return None
    got_dtype = case.learner.dtype or case.learner.kind
    want_dtype = ref.dtype or ref.kind
    if not (_is_int(got_dtype) and _is_float(want_dtype)) or _shapes_differ(case.learner, ref):
        return None
    cut: Msg | str = ""
    a, b = _data(case.learner), _data(ref)
    if a is not None and b is not None and a.shape == b.shape and not _close(a, b):
        cut = case.msg("int-not-float", "cut", got=_vals(a, 3), want=_vals(b, 3))
    return case.say("int-not-float", name=case.name, got=got_dtype, want=want_dtype, cut=cut)
