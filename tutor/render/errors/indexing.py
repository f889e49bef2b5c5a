"""Indexing: a dim or an index out of range.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _r, explains


@explains(
    "dim-out-of-range",
    _r(
        r"Dimension out of range \(expected to be in range of "
        r"\[(?P<lo>-?\d+), (?P<hi>-?\d+)\], but got (?P<got>-?\d+)\)"
    ),
    order=210,
)
def _dim(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    lo, hi, got = int(m["lo"]), int(m["hi"]), int(m["got"])
    text = Msg("errors.dim", got=got, lo=lo, hi=hi)
    return text, None


@explains(
    "index-out-of-range",
    _r(
        r"index (?P<idx>-?\d+) is out of bounds for dimension (?P<dim>\d+) "
        r"with size (?P<size>\d+)"
    ),
    order=220,
)
def _index(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    idx, dim, size = int(m["idx"]), int(m["dim"]), int(m["size"])
    text = Msg("errors.index", idx=idx, dim=dim, size=size, size_last=size - 1)
    return text, None


@explains(
    "index-out-of-range",
    _r(r"index out of range in self"),
    order=230,
)
def _index_select(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.index_select")
    return text, None
