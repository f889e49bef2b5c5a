"""Dtypes and argument types: `mean` of integers, in-place casts, a list for a tensor.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _r, explains


@explains(
    "mean-int",
    _r(
        r"mean\(\).*(?:floating point|could not infer output dtype).*?Got:?\s*"
        r"(?P<dtype>\w+)"
    ),
    order=240,
    receiver="mean",
)
def _mean_int(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    dtype = m["dtype"]
    text = Msg("errors.mean_int", dtype=dtype)
    return text, None


@explains(
    "inplace-dtype",
    _r(
        r"result type (?P<res>\w+) can't be cast to the desired output type "
        r"(?P<out>\w+)"
    ),
    order=270,
)
def _inplace_dtype(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    res, out = m["res"], m["out"]
    text = Msg("errors.inplace_dtype", res=res, out=out)
    return text, None


@explains(
    "arg-not-tensor",
    _r(
        r"(?P<fn>\w+)\(\): argument '(?P<arg>\w+)' \(position \d+\) must be "
        r"Tensor, not (?P<got>\w+)"
    ),
    order=260,
)
def _not_tensor(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    fn, arg, got = m["fn"], m["arg"], m["got"]
    text = Msg("errors.not_tensor", fn=fn, arg=arg, got=got)
    return text, None
