"""Shapes that do not broadcast: element-wise operations, in-place results, `expand`.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.render.errors._registry import _fmt, _r, _shape, explains


def _size_at(shape: Sequence[int], back: int) -> int:
    """The size at ``back`` (negative, from the right), 1 where the shape is shorter."""
    return int(shape[back]) if len(shape) >= -back else 1


# Element-wise methods and torch functions whose two tensor operands broadcast together.
_ELEMENTWISE = frozenset(
    {
        "add",
        "sub",
        "subtract",
        "mul",
        "multiply",
        "div",
        "divide",
        "true_divide",
        "floor_divide",
        "remainder",
        "fmod",
        "pow",
        "maximum",
        "minimum",
        "fmax",
        "fmin",
        "atan2",
        "hypot",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "logical_and",
        "logical_or",
        "logical_xor",
    }
)


# Every binary operator but @, and the comparisons: element-wise, so their operands broadcast.
_ELEMENTWISE_OPS = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)  # fmt: skip


# The element-wise calls, in place too (t.add_(u)).
_ELEMENTWISE_CALLS = _ELEMENTWISE | {name + "_" for name in _ELEMENTWISE}


def _clash(p: Sequence[int], q: Sequence[int], a: int, b: int, dim: int) -> int | None:
    """The clashing dim (from the right) when shapes ``p`` and ``q`` clash as the message says."""
    back = dim - max(len(p), len(q))
    if back < 0 and (_size_at(p, back), _size_at(q, back)) == (a, b):
        return back
    return None


def _could_have(shape: Sequence[int], size: int, dim: int) -> bool:
    """Whether an operand of ``shape`` can have ``size`` at ``dim`` of the result, whatever the
    other operand's shape (a longer other operand pushes this one's dims to the right)."""
    return any(int(shape[i]) == size for i in range(min(dim, len(shape) - 1) + 1))


def _source(code: str, node: ast.expr) -> str:
    text = " ".join((ast.get_source_segment(code, node) or "").split())
    return text if 0 < len(text) <= 40 else ""


def _with_operands(
    picture: dict[str, Any], code: str, shapes: Mapping[str, Sequence[int]]
) -> tuple[Msg | None, dict[str, Any]]:
    """Name the clashing operands of the failing expression, never a variable that is not one.

    Two plain names whose known shapes clash exactly as the message says are
    named with their whole shapes, and drawn. Otherwise, when the code has a
    single operation that can be the one that failed, its operands are quoted
    as written (``x.sum(0)``) with the sizes the message gives.
    """
    (a, b), dim = picture["sizes"], picture["dim"]
    unsure: dict[tuple[str, str], None] = {}
    for left, right in codeinfo.operand_pairs(code, _ELEMENTWISE_OPS, _ELEMENTWISE_CALLS):
        if codeinfo.is_literal(left) or codeinfo.is_literal(right):
            continue
        first = left.id if isinstance(left, ast.Name) else ""
        second = right.id if isinstance(right, ast.Name) else ""
        p, q = shapes.get(first), shapes.get(second)
        if p is not None and q is not None:
            back = _clash(p, q, a, b, dim)
            if back is not None:
                named = Msg(
                    "errors.broadcast_named",
                    first=first,
                    first_shape=_fmt(list(p)),
                    second=second,
                    second_shape=_fmt(list(q)),
                )
                return (
                    named,
                    {
                        **picture,
                        "shapes": [list(p), list(q)],
                        "names": [first, second],
                        "clash": back,
                    },
                )
        elif (p is None or _could_have(p, a, dim)) and (q is None or _could_have(q, b, dim)):
            unsure[(_source(code, left), _source(code, right))] = None
    if len(unsure) != 1:
        return None, picture  # no operation, or several that could have failed
    unsure_pair = next(iter(unsure))
    quoted = [Msg("errors.broadcast_operand", code=src) if src else "" for src in unsure_pair]
    said = Msg("errors.broadcast_code", left=quoted[0], right=quoted[1], a=a, b=b, dim=dim)
    if all(unsure_pair):  # the picture's rows carry the same names as the words above it
        picture = {**picture, "names": list(unsure_pair)}
    return said, picture


@explains(
    "broadcast-mismatch",
    _r(
        r"size of tensor a \((?P<a>\d+)\) must match the size of tensor b "
        r"\((?P<b>\d+)\) at non-singleton dimension (?P<dim>\d+)"
    ),
    order=40,
    refine=_with_operands,
)
def _broadcast(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b, dim = int(m["a"]), int(m["b"]), int(m["dim"])
    text = Msg("errors.broadcast", dim=dim, a=a, b=b)
    picture = {"kind": "broadcast", "shapes": None, "sizes": [a, b], "dim": dim, "clash": None}
    return text, picture


@explains(
    "broadcast-mismatch",
    _r(
        r"output with shape (?P<out>\[[\d, ]*\]) doesn't match the broadcast "
        r"shape (?P<result>\[[\d, ]*\])"
    ),
    order=50,
)
def _broadcast_inplace(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    out, result = _shape(m["out"]), _shape(m["result"])
    text = Msg("errors.broadcast_inplace", out_shape=_fmt(out), result_shape=_fmt(result))
    picture = {"kind": "broadcast", "shapes": [out, result], "clash": None, "inplace": True}
    return text, picture


@explains(
    "broadcast-mismatch",
    _r(
        r"expanded size of the tensor \((?P<new>-?\d+)\) must match the existing "
        r"size \((?P<existing>\d+)\).*Target sizes: (?P<target>\[[-\d, ]*\])"
        r".*Tensor sizes: (?P<sizes>\[[\d, ]*\])"
    ),
    order=60,
)
def _expand(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    target, sizes = _shape(m["target"]), _shape(m["sizes"])
    text = Msg(
        "errors.expand",
        sizes_shape=_fmt(sizes),
        target_shape=_fmt(target),
        existing=m["existing"],
        new=m["new"],
    )
    return text, {"kind": "broadcast", "shapes": [sizes, target], "clash": None}
