"""Reshaping: `view` on non-contiguous memory, sizes that do not multiply out, `.item()`.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _fmt, _r, _shape, explains


@explains(
    "view-non-contiguous",
    _r(r"view size is not compatible with input tensor's size and stride"),
    order=70,
)
def _view_contiguous(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.view_contiguous")
    return text, None


@explains(
    "view-numel",
    _r(r"shape '(?P<shape>\[[-\d, ]*\])' is invalid for input of size (?P<size>\d+)"),
    order=80,
)
def _view_numel(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    shape, size = _shape(m["shape"]), int(m["size"])
    known = [n for n in shape if n != -1]
    prod = 1
    for n in known:
        prod *= n
    what = (
        Msg("errors.view_numel_product", prod=prod)
        if -1 not in shape
        else Msg("errors.view_numel_divisible", size=size, prod=prod)
    )
    text = Msg("errors.view_numel", size=size, shape=_fmt(shape), what=what)
    return text, None


@explains(
    "item-many",
    _r(r"a Tensor with (?P<n>\d+) elements cannot be converted to Scalar"),
    order=90,
    receiver="item",
)
def _item(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    n = m["n"]
    text = Msg("errors.item", n=n)
    return text, None
