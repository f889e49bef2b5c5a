"""Friendly explanations of PyTorch's own error messages, in the catalogs' languages.

UI side: this module must never import torch. ``explain(error_type, message,
lang)`` matches the stable part of a message with a regular expression, pulls the
learner's own shapes, sizes and dtypes out of it, and returns an ``Explanation``
(a ``Feedback`` of kind ``"error"`` plus an optional picture payload), or None
for an error it does not know, in which case the caller shows the plain
traceback. The caller always shows the original message too; the text here
refers to it ("the message above").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.judge.verdict import Feedback


@dataclass(frozen=True)
class Explanation:
    """A friendly explanation of one error and, where it helps, a picture payload.

    ``picture`` is plain JSON for ``tutor.render.pictures.picture_for``, e.g.
    ``{"kind": "broadcast", "shapes": [[3, 2], [3]], "clash": -1}``.
    """

    feedback: Feedback
    picture: dict[str, Any] | None = None


# A rule turns a regex match into (its message: a catalog key and fields, picture or None).
Builder = Callable[[re.Match[str]], "tuple[Msg, dict[str, Any] | None]"]


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: re.Pattern[str]
    build: Builder


def _shape(text: str) -> list[int]:
    """``"2x3"`` / ``"[2, 3]"`` / ``"(2)"`` -> ``[2, 3]``."""
    return [int(n) for n in re.findall(r"-?\d+", text)]


def _fmt(shape: list[int]) -> str:
    """A shape written the way ``tensor.shape`` prints it, without the torch.Size."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _matmul(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b = _shape(m["a"]), _shape(m["b"])
    text = Msg("errors.matmul", a_shape=_fmt(a), b_shape=_fmt(b), a_last=a[-1], b_first=b[0])
    return text, None


def _matmul_batch(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    want, got = _shape(m["want"]), _shape(m["got"])
    text = Msg("errors.matmul_batch", want_last=want[-1], got_last=got[-1])
    return text, None


def _dot(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b = m["a"], m["b"]
    text = Msg("errors.dot", a=a, b=b)
    return text, None


def _mv(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    mat, vec = _shape(m["mat"]), m["vec"]
    text = Msg("errors.mv", mat_shape=_fmt(mat), mat_last=mat[-1], vec=vec)
    return text, None


def _broadcast(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b, dim = int(m["a"]), int(m["b"]), int(m["dim"])
    text = Msg("errors.broadcast", dim=dim, a=a, b=b)
    picture = {"kind": "broadcast", "shapes": None, "sizes": [a, b], "dim": dim, "clash": None}
    return text, picture


def _broadcast_inplace(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    out, result = _shape(m["out"]), _shape(m["result"])
    text = Msg("errors.broadcast_inplace", out_shape=_fmt(out), result_shape=_fmt(result))
    picture = {"kind": "broadcast", "shapes": [out, result], "clash": None, "inplace": True}
    return text, picture


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


def _view_contiguous(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.view_contiguous")
    return text, None


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


def _item(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    n = m["n"]
    text = Msg("errors.item", n=n)
    return text, None


def _requires_grad_int(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.requires_grad_int")
    return text, None


def _numpy_grad(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.numpy_grad")
    return text, None


def _numpy_gpu(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    dev = m["device"]
    text = Msg("errors.numpy_gpu", dev=dev)
    return text, None


def _backward_scalar(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.backward_scalar")
    return text, None


def _backward_twice(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.backward_twice")
    return text, None


def _inplace_leaf(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.inplace_leaf")
    return text, None


def _device(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    devices = [d for d in (m.groupdict().get("d1"), m.groupdict().get("d2")) if d]
    both: Msg | str = f"`{devices[0]}`" if devices else Msg("errors.device_unknown")
    if len(devices) == 2:
        both = Msg("errors.device_pair", a=devices[0], b=devices[1])
    text = Msg("errors.device", both=both)
    return text, None


def _dim(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    lo, hi, got = int(m["lo"]), int(m["hi"]), int(m["got"])
    text = Msg("errors.dim", got=got, lo=lo, hi=hi)
    return text, None


def _index(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    idx, dim, size = int(m["idx"]), int(m["dim"]), int(m["size"])
    text = Msg("errors.index", idx=idx, dim=dim, size=size, size_last=size - 1)
    return text, None


def _index_select(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.index_select")
    return text, None


def _mean_int(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    dtype = m["dtype"]
    text = Msg("errors.mean_int", dtype=dtype)
    return text, None


def _backward_no_grad(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.backward_no_grad")
    return text, None


def _inplace_dtype(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    res, out = m["res"], m["out"]
    text = Msg("errors.inplace_dtype", res=res, out=out)
    return text, None


def _not_tensor(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    fn, arg, got = m["fn"], m["arg"], m["got"]
    text = Msg("errors.not_tensor", fn=fn, arg=arg, got=got)
    return text, None


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


# Order matters: the first rule whose pattern is found in the message wins.
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "matmul-inner-size",
        _r(r"shapes cannot be multiplied \((?P<a>\d+x\d+) and (?P<b>\d+x\d+)\)"),
        _matmul,
    ),
    _Rule(
        "matmul-inner-size",
        _r(
            r"Expected size for first two dimensions of batch2 tensor to be: "
            r"(?P<want>\[[\d, ]+\]) but got: (?P<got>\[[\d, ]+\])"
        ),
        _matmul_batch,
    ),
    _Rule(
        "matmul-inner-size",
        _r(
            r"inconsistent tensor size, expected tensor \[\d+\] and src \[\d+\] .*"
            r"but got (?P<a>\d+) and (?P<b>\d+) elements"
        ),
        _dot,
    ),
    _Rule(
        "matmul-inner-size",
        _r(
            r"size mismatch, got input \(\d+\), mat \((?P<mat>\d+x\d+)\), "
            r"vec \((?P<vec>\d+)\)"
        ),
        _mv,
    ),
    _Rule(
        "broadcast-mismatch",
        _r(
            r"size of tensor a \((?P<a>\d+)\) must match the size of tensor b "
            r"\((?P<b>\d+)\) at non-singleton dimension (?P<dim>\d+)"
        ),
        _broadcast,
    ),
    _Rule(
        "broadcast-mismatch",
        _r(
            r"output with shape (?P<out>\[[\d, ]*\]) doesn't match the broadcast "
            r"shape (?P<result>\[[\d, ]*\])"
        ),
        _broadcast_inplace,
    ),
    _Rule(
        "broadcast-mismatch",
        _r(
            r"expanded size of the tensor \((?P<new>-?\d+)\) must match the existing "
            r"size \((?P<existing>\d+)\).*Target sizes: (?P<target>\[[-\d, ]*\])"
            r".*Tensor sizes: (?P<sizes>\[[\d, ]*\])"
        ),
        _expand,
    ),
    _Rule(
        "view-non-contiguous",
        _r(r"view size is not compatible with input tensor's size and stride"),
        _view_contiguous,
    ),
    _Rule(
        "view-numel",
        _r(r"shape '(?P<shape>\[[-\d, ]*\])' is invalid for input of size (?P<size>\d+)"),
        _view_numel,
    ),
    _Rule(
        "item-many", _r(r"a Tensor with (?P<n>\d+) elements cannot be converted to Scalar"), _item
    ),
    _Rule(
        "requires-grad-int",
        _r(r"only Tensors of floating point.*dtype can require gradients"),
        _requires_grad_int,
    ),
    _Rule(
        "numpy-requires-grad", _r(r"Can't call numpy\(\) on Tensor that requires grad"), _numpy_grad
    ),
    _Rule(
        "numpy-gpu", _r(r"can't convert (?P<device>[\w:]+) device type tensor to numpy"), _numpy_gpu
    ),
    _Rule(
        "backward-non-scalar",
        _r(r"grad can be implicitly created only for scalar outputs"),
        _backward_scalar,
    ),
    _Rule("backward-twice", _r(r"backward through the graph a second time"), _backward_twice),
    _Rule(
        "inplace-leaf",
        _r(r"leaf Variable that requires grad (is being|has been) used in an in-place"),
        _inplace_leaf,
    ),
    _Rule(
        "device-mismatch",
        _r(
            r"Expected all tensors to be on the same device, but found at least two "
            r"devices, (?P<d1>[\w:]+) and (?P<d2>[\w:]+)"
        ),
        _device,
    ),
    _Rule(
        "device-mismatch",
        _r(
            r"Expected all tensors to be on the same device, but got \w+ is on "
            r"(?P<d1>[\w:]+), different from other tensors on (?P<d2>[\w:]+)"
        ),
        _device,
    ),
    _Rule("device-mismatch", _r(r"Expected all tensors to be on the same device"), _device),
    _Rule(
        "device-mismatch",
        _r(
            r"Tensor on device (?P<d1>[\w:]+) is not on the expected device "
            r"(?P<d2>[\w:]+)"
        ),
        _device,
    ),
    _Rule(
        "device-mismatch",
        _r(
            r"Expected object of device type (?P<d1>\w+) but got device type "
            r"(?P<d2>\w+)"
        ),
        _device,
    ),
    _Rule(
        "dim-out-of-range",
        _r(
            r"Dimension out of range \(expected to be in range of "
            r"\[(?P<lo>-?\d+), (?P<hi>-?\d+)\], but got (?P<got>-?\d+)\)"
        ),
        _dim,
    ),
    _Rule(
        "index-out-of-range",
        _r(
            r"index (?P<idx>-?\d+) is out of bounds for dimension (?P<dim>\d+) "
            r"with size (?P<size>\d+)"
        ),
        _index,
    ),
    _Rule("index-out-of-range", _r(r"index out of range in self"), _index_select),
    _Rule(
        "mean-int",
        _r(
            r"mean\(\).*(?:floating point|could not infer output dtype).*?Got:?\s*"
            r"(?P<dtype>\w+)"
        ),
        _mean_int,
    ),
    _Rule(
        "backward-no-grad",
        _r(r"does not require grad and does not have a grad_fn"),
        _backward_no_grad,
    ),
    _Rule(
        "arg-not-tensor",
        _r(
            r"(?P<fn>\w+)\(\): argument '(?P<arg>\w+)' \(position \d+\) must be "
            r"Tensor, not (?P<got>\w+)"
        ),
        _not_tensor,
    ),
    _Rule(
        "inplace-dtype",
        _r(
            r"result type (?P<res>\w+) can't be cast to the desired output type "
            r"(?P<out>\w+)"
        ),
        _inplace_dtype,
    ),
)

IDS: tuple[str, ...] = tuple(dict.fromkeys(rule.id for rule in _RULES))


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
    return Msg("errors.broadcast_code", left=quoted[0], right=quoted[1], a=a, b=b, dim=dim), picture


def explain(
    error_type: str,
    message: str,
    lang: str = "en",
    *,
    code: str = "",
    shapes: Mapping[str, Sequence[int]] | None = None,
    off: Collection[str] = (),
) -> Explanation | None:
    """Explain a PyTorch error in the learner's language, or None when it is not a known one.

    ``error_type`` is the exception's class name (``"RuntimeError"``; unused for
    matching, since torch has moved messages between exception types); ``message``
    is ``str(exc)``; ``lang`` a catalog language (anything else: English).
    Optional: ``code`` (the code that failed) lets a broadcasting error quote the
    operands of the failing operation; with ``shapes`` too (name -> shape of the
    learner's tensors, e.g. from ``sb.call("vars")``) two clashing variables are
    named and their whole shapes drawn. ``off``: ids the step turned off (``quiet``):
    such an error is shown without an explanation.
    """
    for rule in _RULES:
        found = rule.pattern.search(message)
        if found and rule.id in off:
            return None
        if found:
            msg, picture = rule.build(found)
            text = msg.render(lang)
            if picture and picture.get("sizes") and code:
                more, picture = _with_operands(picture, code, shapes or {})
                text += more.render(lang) if more else ""
            return Explanation(Feedback(rule.id, text, kind="error"), picture)
    return None


__all__ = ["IDS", "Explanation", "explain"]
