"""`unsqueeze-dim` (also `squeeze-dim`, `size-one-built`): one detector.

Speaks when the values are right and the shapes differ only in size-1 dims.
"""

from __future__ import annotations

from tutor.i18n import t
from tutor.judge.detectors._case import (
    Case,
    _close,
    _shape,
    _tensors,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback

_BUILDERS = ("tensor", "zeros", "ones", "full", "empty", "rand", "randn", "randint", "arange")


@detector(
    "unsqueeze-dim",
    "squeeze-dim",
    "size-one-built",
    premise="the values are right and the shapes differ only in size-1 dims",
    order=150,
)
def _squeeze_dims(case: Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None:
        return None
    a, b = pair
    if a.shape == b.shape or a.numel() != b.numel():
        return None
    if [n for n in a.shape if n != 1] != [n for n in b.shape if n != 1]:
        return None
    if not _close(a.reshape(-1), b.reshape(-1)):
        return None
    sep = t("language.list_sep", case.lang)  # 第 0、2 维 / dim 0, 2
    mine = sep.join(str(i) for i, n in enumerate(a.shape) if n == 1)
    ones = sep.join(str(i) for i, n in enumerate(b.shape) if n == 1)
    yours = case.msg("size-one", "yours", mine=mine) if mine else case.msg("size-one", "yours_none")
    where = (
        case.msg("size-one", "where", yours=yours, ones=ones)
        if ones
        else case.msg("size-one", "where_none", yours=yours)
    )
    got, want = _shape(a.shape), _shape(b.shape)
    if a.dim() == b.dim():
        what = case.msg("size-one", "misplaced")
    elif a.dim() < b.dim():
        what = case.msg("size-one", "missing")
    else:
        what = case.msg("size-one", "extra")
    head = case.msg("size-one", "head", name=case.name, got=got, want=want, what=what)
    reshaped = case.calls("squeeze", "unsqueeze", "reshape", "view", "flatten")
    if not reshaped and case.calls(*_BUILDERS):
        # Built with one dim too many or too few: the brackets or the shape, not (un)squeeze.
        return case.say("size-one-built", head=head)
    if case.calls("unsqueeze") or (not case.calls("squeeze") and a.dim() <= b.dim()):
        return case.say("unsqueeze-dim", head=head, where=where)
    return case.say("squeeze-dim", head=head, where=where)
