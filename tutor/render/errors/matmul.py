"""Matrix products whose sizes do not fit: `@`, `mm`, `bmm`, `mv`, `dot`.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _fmt, _r, _shape, explains


@explains(
    "matmul-inner-size",
    _r(r"shapes cannot be multiplied \((?P<a>\d+x\d+) and (?P<b>\d+x\d+)\)"),
    order=0,
)
def _matmul(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b = _shape(m["a"]), _shape(m["b"])
    text = Msg("errors.matmul", a_shape=_fmt(a), b_shape=_fmt(b), a_last=a[-1], b_first=b[0])
    return text, None


@explains(
    "matmul-inner-size",
    _r(
        r"Expected size for first two dimensions of batch2 tensor to be: "
        r"(?P<want>\[[\d, ]+\]) but got: (?P<got>\[[\d, ]+\])"
    ),
    order=10,
)
def _matmul_batch(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    want, got = _shape(m["want"]), _shape(m["got"])
    text = Msg("errors.matmul_batch", want_last=want[-1], got_last=got[-1])
    return text, None


@explains(
    "matmul-inner-size",
    _r(
        r"inconsistent tensor size, expected tensor \[\d+\] and src \[\d+\] .*"
        r"but got (?P<a>\d+) and (?P<b>\d+) elements"
    ),
    order=20,
)
def _dot(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b = m["a"], m["b"]
    text = Msg("errors.dot", a=a, b=b)
    return text, None


@explains(
    "matmul-inner-size",
    _r(
        r"size mismatch, got input \(\d+\), mat \((?P<mat>\d+x\d+)\), "
        r"vec \((?P<vec>\d+)\)"
    ),
    order=30,
)
def _mv(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    mat, vec = _shape(m["mat"]), m["vec"]
    text = Msg("errors.mv", mat_shape=_fmt(mat), mat_last=mat[-1], vec=vec)
    return text, None
