"""Name the mistake a learner most likely made, from their values and their code (judge side).

``detect(expect, learner, reference, code, lang, ...)`` runs every detector on
one failing var expectation and returns ``Feedback(kind="diagnosis")`` items
that speak with the learner's own values and shapes. Detectors prefer tests on
values (``x.T`` equals the expected result: transposed) and use the code
(its syntax tree, never running it) only where values cannot tell.
``value_picture(learner, reference, rtol, atol)`` writes the JSON payload of
the expected-vs-yours picture drawn by ``tutor.render.pictures.DiffPicture``.

Runs in the pristine judge process: imports torch, never rich.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.judge.snapshot import Value
from tutor.judge.tolerance import tolerance
from tutor.judge.verdict import Feedback

_MATMUL = ("@", "matmul", "mm", "bmm", "mv", "dot", "einsum")
_MUL = ("*", "mul", "multiply")
_ARITH = ("+", "-", "*", "/", "add", "sub", "mul", "div")
SMALL = 8  # a diff picture shows every cell of tensors up to SMALL x SMALL


@dataclass(frozen=True)
class _Case:
    """Everything a detector may look at for one failing expectation."""

    expect: Mapping[str, Any]
    learner: Value
    reference: Value | None
    code: str
    lang: str
    context: Mapping[str, Value] = field(default_factory=dict)
    ref_context: Mapping[str, Value] = field(default_factory=dict)
    solution: str = ""

    @property
    def name(self) -> str:
        return str(self.expect.get("var") or self.learner.name or "x")

    def msg(self, id_: str, part: str = "message", **fields: Any) -> Msg:
        """A message of detector ``id_`` from the ``[detect.ID]`` table of the catalogs."""
        return Msg(f"detect.{id_}.{part}", **fields)

    def say(self, id_: str, part: str = "message", **fields: Any) -> Feedback:
        """Feedback ``id_`` with its catalog message ``part``, in the case's language."""
        return Feedback(id_, self.msg(id_, part, **fields).render(self.lang), kind="diagnosis")

    def calls(self, *patterns: str) -> list[str]:
        return codeinfo.calls_any(self.code, patterns)


# ------------------------------------------------------------------ helpers


def _data(v: Value | None) -> torch.Tensor | None:
    return v.data if v is not None and isinstance(v.data, torch.Tensor) else None


def _tensors(case: _Case) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The learner's and the reference's tensors when both are tensors."""
    if case.learner.kind != "tensor" or case.reference is None or case.reference.kind != "tensor":
        return None
    a, b = _data(case.learner), _data(case.reference)
    return (a, b) if a is not None and b is not None else None


def _wide(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.complex128) if t.is_complex() else t.to(torch.float64)


def _close(
    a: torch.Tensor | None, b: torch.Tensor | None, rtol: float = 1e-4, atol: float = 1e-5
) -> bool:
    """Same shape and values within tolerance (ints and bools compared as floats)."""
    if a is None or b is None or a.shape != b.shape:
        return False
    return bool(torch.allclose(_wide(a), _wide(b), rtol=rtol, atol=atol, equal_nan=True))


def _shape(shape: Any) -> str:
    dims = list(shape) if shape is not None else []
    return "(" + ", ".join(str(int(n)) for n in dims) + ("," if len(dims) == 1 else "") + ")"


def _num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.1f}" if x == int(x) and abs(x) < 1e6 else f"{x:.4g}"
    return str(x)


def _vals(t: torch.Tensor, limit: int = 6) -> str:
    """A short list of values: ``[0, 2, 4, 6]`` or ``[0.0, 0.25, …]``."""
    flat = t.flatten().tolist()
    shown = ", ".join(_num(x) for x in flat[:limit])
    return f"[{shown}{', …' if len(flat) > limit else ''}]"


def _is_int(dtype: str | None) -> bool:
    return bool(dtype) and "int" in str(dtype) and "bool" not in str(dtype)


def _is_float(dtype: str | None) -> bool:
    return bool(dtype) and any(k in str(dtype) for k in ("float", "half", "double"))


def _arith(t: torch.Tensor) -> bool:
    """Whether a 1-d tensor is evenly spaced (at least two elements)."""
    if t.dim() != 1 or t.numel() < 2:
        return False
    steps = torch.diff(_wide(t).real)
    return bool(torch.allclose(steps, steps[0].expand_as(steps), rtol=1e-4, atol=1e-6))


def _overlap(a: Value | None, b: Value | None) -> bool | None:
    """Whether two values' memory overlaps, or None when either has no storage."""
    if a is None or b is None or not a.storage or not b.storage:
        return None
    (sa, na), (sb, nb) = a.storage, b.storage
    if not na or not nb:
        return None
    return sa < sb + nb and sb < sa + na


def _operands(code: str, kinds: tuple[type, ...], calls: tuple[str, ...]) -> list[tuple[str, str]]:
    """Pairs of plain names combined by an operator of ``kinds`` or a call in ``calls``."""
    return [
        (left.id, right.id)
        for left, right in codeinfo.operand_pairs(code, kinds, calls, augmented=False)
        if isinstance(left, ast.Name) and isinstance(right, ast.Name)
    ]


def _tensor_product(code: str, kinds: tuple[type, ...], calls: tuple[str, ...]) -> bool:
    """Whether ``code`` combines two tensors with an operator of ``kinds`` or a call in ``calls``:
    neither operand is a literal number (``x * 2`` scales, it is no product of tensors)."""
    return any(
        not (codeinfo.is_literal(left) or codeinfo.is_literal(right))
        for left, right in codeinfo.operand_pairs(code, kinds, calls)
    )


def _grad_source(case: _Case, code: str | None = None) -> str | None:
    """The tensor whose ``.grad`` the checked name holds: ``y`` for ``y.grad`` or ``g = y.grad``
    in ``code`` (the learner's unless given)."""
    name = case.name
    if name.endswith(".grad"):
        return name[: -len(".grad")]
    tree = codeinfo.parse(case.code if code is None else code)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = node.value
            if (
                isinstance(value, ast.Attribute)
                and value.attr == "grad"
                and isinstance(value.value, ast.Name)
            ):
                return value.value.id
    return None


# ------------------------------------------------------------------ detectors: type and place


def _list_not_tensor(case: _Case) -> Feedback | None:
    ref = case.reference
    if case.learner.kind not in ("list", "tuple") or ref is None or ref.kind != "tensor":
        return None
    if not _close(_data(case.learner), _data(ref)):
        return None
    kind = case.learner.kind
    return case.say("list-not-tensor", name=case.name, kind=kind)


def _ndarray_not_tensor(case: _Case) -> Feedback | None:
    ref = case.reference
    if case.learner.kind != "ndarray" or ref is None or ref.kind != "tensor":
        return None
    if not _close(_data(case.learner), _data(ref)):
        return None
    return case.say("ndarray-not-tensor", name=case.name)


def _wrong_device(case: _Case) -> Feedback | None:
    pair = _tensors(case)
    got = case.learner.device or "cpu"
    want = case.expect.get("device") or (case.reference.device if case.reference else None)
    if pair is None or not want or got.split(":")[0] == str(want).split(":")[0]:
        return None
    if not _close(*pair):
        return None
    return case.say("wrong-device", name=case.name, got=got, want=want)


def _shapes_differ(a: Value, b: Value) -> bool:
    """Both have shapes and they differ: then the shape is the news, not the dtype."""
    return a.shape is not None and b.shape is not None and tuple(a.shape) != tuple(b.shape)


def _int_not_float(case: _Case) -> Feedback | None:
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


def _float_not_int(case: _Case) -> Feedback | None:
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


def _has_float_literal(code: str) -> bool:
    tree = codeinfo.parse(code)
    return any(
        isinstance(node, ast.Constant) and isinstance(node.value, float)
        for node in (ast.walk(tree) if tree else ())
    )


# ------------------------------------------------------------------ detectors: shapes and values


def _transposed(case: _Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None or pair[0].dim() < 2 or _close(*pair):
        return None
    a, b = pair
    if not _close(a.transpose(-1, -2), b):
        return None
    if b.numel() < 2 or bool((b == b.flatten()[0]).all()):
        return None  # every value alike: any shape mistake "transposes" it, say the shape instead
    if 1 in a.shape[-2:] and case.calls("unsqueeze", "squeeze"):
        return None  # a row for a column made by (un)squeeze: the squeeze detectors say it better
    shapes: Msg | str = ""
    if a.shape != b.shape:
        shapes = case.msg("transposed", "shapes", got=_shape(a.shape), want=_shape(b.shape))
    if _tensor_product(case.code, (ast.MatMult,), ("matmul", "mm", "bmm")):
        why = case.msg("transposed", "why_order")
    else:
        why = case.msg("transposed", "why_dims")
    return case.say("transposed", name=case.name, shapes=shapes, why=why)


def _product_fits(
    case: _Case,
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


def _same(case: _Case) -> bool:
    """Whether the learner's tensor already equals the reference's (nothing to diagnose)."""
    pair = _tensors(case)
    return pair is not None and _close(*pair)


def _sol_uses(case: _Case, patterns: tuple[str, ...]) -> bool:
    return bool(codeinfo.calls_any(case.solution, patterns)) if case.solution else False


def _gave(case: _Case, id_: str) -> Msg | str:
    """ ", which gave `c` shape (2, 3)" when the learner's value is a tensor, else nothing."""
    if case.learner.kind != "tensor" or case.learner.shape is None:
        return ""
    return case.msg(id_, "gave", name=case.name, shape=_shape(case.learner.shape))


def _want(case: _Case, id_: str) -> Msg | str:
    ref = case.reference
    if ref is None or ref.shape is None:
        return ""
    return case.msg(id_, "want", shape=_shape(ref.shape))


def _mul_vs_matmul(case: _Case) -> Feedback | None:
    if not case.calls(*_MUL) or case.calls(*_MATMUL):
        return None
    pairs = _operands(case.code, (ast.Mult,), ("mul", "multiply"))
    fits = _product_fits(case, pairs, torch.mul, torch.matmul)
    if fits is None:  # operands unknown: the code must say it, on both sides
        fits = _sol_uses(case, _MATMUL) and _tensor_product(case.code, (ast.Mult,), _MUL[1:])
    if not fits or _same(case):
        return None
    return case.say(
        "mul-vs-matmul", gave=_gave(case, "mul-vs-matmul"), want=_want(case, "mul-vs-matmul")
    )


def _matmul_vs_mul(case: _Case) -> Feedback | None:
    if not case.calls(*_MATMUL) or case.calls(*_MUL):
        return None
    pairs = _operands(case.code, (ast.MatMult,), ("matmul", "mm", "mv", "dot"))
    fits = _product_fits(case, pairs, torch.matmul, torch.mul)
    if fits is None:  # operands unknown: the solution must multiply two tensors element-wise
        fits = _tensor_product(case.solution, (ast.Mult,), _MUL[1:])
    if not fits or _same(case):
        return None
    return case.say(
        "matmul-vs-mul", gave=_gave(case, "matmul-vs-mul"), want=_want(case, "matmul-vs-mul")
    )


def _made_without(case: _Case, *patterns: str) -> bool:
    """Whether the learner's code is known and calls none of ``patterns`` (then a detector that
    blames one of those calls has nothing to blame: a slice one short is no ``arange`` mistake)."""
    return bool(case.code.strip()) and not case.calls(*patterns)


def _arange_end(case: _Case) -> Feedback | None:
    pair = _tensors(case)
    if (
        pair is None
        or pair[0].dim() != 1
        or pair[1].dim() != 1
        or _made_without(case, "arange", "range")
    ):
        return None
    a, b = pair
    short, long_ = (a, b) if a.numel() < b.numel() else (b, a)
    if long_.numel() - short.numel() != 1 or not _arith(long_) or short.numel() == 0:
        return None
    if not _close(long_[:-1], short):
        return None
    step = _num((long_[1] - long_[0]).item())
    fix = (
        f"`torch.arange({_num(b[0].item())}, "
        f"{_num((b[-1] + (long_[1] - long_[0])).item())}, {step})`"
    )
    part = "early" if a.numel() < b.numel() else "late"
    last, want_last = _num(a[-1].item()), _num(b[-1].item())
    return case.say("arange-end", part, name=case.name, last=last, want_last=want_last, fix=fix)


def _linspace_count(case: _Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None or pair[0].dim() != 1 or pair[1].dim() != 1 or _made_without(case, "linspace"):
        return None
    a, b = pair
    if a.numel() == b.numel() or not (_arith(a) and _arith(b)):
        return None
    if not (_close(a[:1], b[:1]) and _close(a[-1:], b[-1:])):
        return None
    lo, hi = _num(b[0].item()), _num(b[-1].item())
    return case.say("linspace-count", name=case.name, lo=lo, hi=hi, got=a.numel(), want=b.numel())


_BUILDERS = ("tensor", "zeros", "ones", "full", "empty", "rand", "randn", "randint", "arange")


def _squeeze_dims(case: _Case) -> Feedback | None:
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
    mine = ", ".join(str(i) for i, n in enumerate(a.shape) if n == 1)
    ones = ", ".join(str(i) for i, n in enumerate(b.shape) if n == 1)
    where = (
        case.msg("size-one", "where", mine=mine or "-", ones=ones)
        if ones
        else case.msg("size-one", "where_none", mine=mine or "-")
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


def _stretched(case: _Case, result: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]] | None:
    """Two tensors the learner's code names, both smaller than ``result``, that broadcast to it."""
    shapes = [
        (n, tuple(v.shape))
        for n in sorted(codeinfo.names(case.code))
        if (v := case.context.get(n)) is not None
        and v.kind == "tensor"
        and v.shape is not None
        and 0 < len(v.shape)
        and tuple(v.shape) != result
    ]
    for i, (first, p) in enumerate(shapes):
        for second, q in shapes[i + 1 :]:
            try:
                if tuple(torch.broadcast_shapes(p, q)) == result:
                    return [(first, p), (second, q)]
            except RuntimeError:
                continue
    return None


def _broadcast_bigger(case: _Case) -> Feedback | None:
    pair = _tensors(case)
    if pair is None or not case.calls(*_ARITH):
        return None
    a, b = pair
    if a.numel() <= b.numel() or a.dim() < b.dim():
        return None
    tail = a.shape[a.dim() - b.dim() :]
    if any(m not in (n, 1) for m, n in zip(b.shape, tail, strict=True)):
        return None
    stretched = _stretched(case, tuple(a.shape))
    if stretched is None:
        return None  # no two operands of the learner's grew into this shape: not broadcasting
    who = " (" + ", ".join(f"`{n}` {_shape(shape)}" for n, shape in stretched) + ")"
    got, want = _shape(a.shape), _shape(b.shape)
    return case.say("broadcast-bigger", name=case.name, got=got, want=want, who=who)


# ------------------------------------------------------------------ detectors: autograd


def _grads(case: _Case) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The learner's and the expected gradient tensors for this expectation, when known."""
    name = case.name
    if name.endswith(".grad"):
        got, want = _data(case.learner), _data(case.reference)
    else:
        got = _data(case.context.get(name + ".grad"))
        want = _data(case.ref_context.get(name + ".grad"))
    if want is None and case.expect.get("grad") not in (None, "none"):
        try:
            want = torch.tensor(case.expect["grad"], dtype=torch.float64)
        except (TypeError, ValueError):
            want = None
    return got, want


def _grad_accumulated(case: _Case) -> Feedback | None:
    got, want = _grads(case)
    if got is None or want is None or got.shape != want.shape or not _grad_check_failed(case):
        return None
    nonzero = _wide(want).abs() > 1e-12
    if not bool(nonzero.any()):
        return None
    ratio = (_wide(got)[nonzero] / _wide(want)[nonzero]).real
    k = round(float(ratio.mean()))
    if k < 2 or not _close(got, want * k):
        return None
    base = case.name.removesuffix(".grad")
    return case.say("grad-accumulated", base=base, k=k, want=_vals(want))


_GRAD_CHECKS = (".grad", ".requires_grad", ".grad_fn", ".is_leaf")


def _is_gradient(case: _Case) -> bool:
    """Whether the checked name holds a gradient: ``x.grad``, ``g = x.grad`` in the solution, or a
    reference value equal to one of the reference's gradients."""
    if case.name.endswith(".grad") or _grad_source(case, case.solution or "") is not None:
        return True
    want = _data(case.reference)
    return want is not None and any(
        n.endswith(".grad") and n != case.name + ".grad" and _close(_data(v), want)
        for n, v in case.ref_context.items()
    )


def _grad_check_failed(case: _Case) -> bool:
    """False when the failing checks are known and none of them is one a gradient explains."""
    if "failed" not in case.expect:
        return True
    failed = [str(f) for f in case.expect.get("failed") or ()]
    if _grad_source(case) is not None or _is_gradient(case):
        return bool(failed)  # the name is a gradient: whatever fails is about it
    return any(f.endswith(_GRAD_CHECKS) for f in failed)


def _wants_grad(case: _Case) -> bool:
    """Whether this expectation is about gradients, on the step's or the reference's word.

    The step asks for a gradient or ``requires_grad``, or the reference value
    takes part in autograd (requires grad, has a ``.grad`` or a ``grad_fn``, or
    is a gradient). The learner's own code (``g = y.grad``) counts only when there
    is no reference value to ask. Where the failing checks are known, one of them
    must be one a gradient mistake explains.
    """
    if not _grad_check_failed(case):
        return False
    props = case.expect.get("props") or ()
    if (
        case.expect.get("grad") is not None
        or case.expect.get("requires_grad") is not None
        or "grad" in props
        or "requires_grad" in props
        or _is_gradient(case)
    ):
        return True
    ref = case.reference
    if ref is None:
        return _grad_source(case) is not None
    return bool(ref.requires_grad or ref.has_grad or ref.grad_fn)


def _grad_missing(case: _Case) -> bool:
    """Whether the learner's gradient for this expectation was seen to be None.

    A name the run never bound (it raised first) says nothing about gradients.
    """
    if case.name.endswith(".grad") or _grad_source(case):
        return case.learner.kind == "none"
    return case.learner.kind == "tensor" and case.learner.has_grad is False


def _source_value(case: _Case) -> tuple[str, Value | None]:
    source = _grad_source(case) or case.name
    value = case.context.get(source) or (case.learner if source == case.name else None)
    return source, value


_CREATE = {
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "eye",
    "arange",
    "linspace",
    "logspace",
    "rand",
    "randn",
    "randint",
    "normal",
    "zeros_like",
    "ones_like",
    "rand_like",
    "randn_like",
    "full_like",
    "empty_like",
    "requires_grad_",
}


def _made_by_op(code: str, name: str) -> bool:
    """Whether the code computes ``name`` (an operator or a non-creating call) rather than
    creates it."""
    tree = codeinfo.parse(code)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            v = node.value
            if isinstance(v, ast.Call):
                func = v.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                return called not in _CREATE
            return isinstance(v, (ast.BinOp, ast.UnaryOp, ast.Subscript))
    return False


def _grad_non_leaf(case: _Case) -> Feedback | None:
    if not (_wants_grad(case) and _grad_missing(case)):
        return None
    source, value = _source_value(case)
    if value is not None and value.kind == "tensor":
        if value.is_leaf is not False:
            return None
        made = case.msg("grad-non-leaf", "made", grad_fn=value.grad_fn) if value.grad_fn else ""
    elif _made_by_op(case.code, source):
        made = ""
    else:
        return None
    leaves = [
        n
        for n, v in case.context.items()
        if v.kind == "tensor" and v.is_leaf and v.requires_grad and "." not in n
    ]
    read = f"`{leaves[0]}.grad`" if leaves else case.msg("grad-non-leaf", "read_created")
    return case.say("grad-non-leaf", source=source, made=made, read=read)


def _grad_missing_requires_grad(case: _Case) -> Feedback | None:
    source, value = _source_value(case)
    ref = case.ref_context.get(source) or (case.reference if source == case.name else None)
    if value is None or value.kind != "tensor" or value.requires_grad:
        return None
    wanted = bool(ref is not None and ref.requires_grad) or case.expect.get("requires_grad") is True
    if not _grad_check_failed(case) or not (wanted or (_wants_grad(case) and _grad_missing(case))):
        return None
    computed = value.is_leaf is False or _made_by_op(case.code, source)
    if computed:
        where = case.msg("grad-missing-requires-grad", "computed")
    elif case.code.strip() and source not in codeinfo.assigned(case.code):
        # A tensor that already exists (given, or made earlier): switch tracking on.
        where = case.msg("grad-missing-requires-grad", "switch_on", source=source)
    else:
        where = case.msg("grad-missing-requires-grad", "create")
    return case.say("grad-missing-requires-grad", source=source, where=where)


def _backward_missing(case: _Case) -> Feedback | None:
    if not (_wants_grad(case) and _grad_missing(case)) or case.calls("backward", "grad"):
        return None
    source, value = _source_value(case)
    if value is None or value.kind != "tensor" or not value.requires_grad or not value.is_leaf:
        return None
    return case.say("backward-missing", source=source)


# ------------------------------------------------------------------ detectors: memory


def _rebound(code: str, name: str) -> str | None:
    """The statement that rebinds ``name`` to an arithmetic result on itself (``x = x * 2``)."""
    tree = codeinfo.parse(code)
    for node in ast.walk(tree) if tree else ():
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.BinOp)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value))
        ):
            return ast.get_source_segment(code, node) or f"{name} = {name} ..."
    return None


def _copy_not_shared(case: _Case) -> Feedback | None:
    partner = case.expect.get("shares_memory_with")
    if not partner or _overlap(case.learner, case.context.get(partner)) is not False:
        return None
    statement = _rebound(case.code, case.name)
    if statement:
        return case.say(
            "copy-not-shared", "rebound", statement=statement, partner=partner, name=case.name
        )
    copied = case.calls(
        "torch.tensor",
        "clone",
        "copy",
        "numpy.array",
        "torch.as_tensor",
        "tolist",
        "float",
        "double",
        "long",
        "int",
        "half",
        "to",
        "contiguous",
    )
    call = next((f"`{c}(...)`" if "." in c else f"`.{c}()`" for c in copied), "")
    how = case.msg("copy-not-shared", "how", call=call) if call else ""
    return case.say("copy-not-shared", name=case.name, how=how, partner=partner)


def _shared_not_copy(case: _Case) -> Feedback | None:
    partner = case.expect.get("independent_of")
    if not partner or not _overlap(case.learner, case.context.get(partner)):
        return None
    return case.say("shared-not-copy", name=case.name, partner=partner)


# Most specific first: the first detectors name a single clear cause.
DETECTORS: tuple[Callable[[_Case], Feedback | None], ...] = (
    _list_not_tensor,
    _ndarray_not_tensor,
    _wrong_device,
    _copy_not_shared,
    _shared_not_copy,
    _grad_accumulated,
    _grad_non_leaf,
    _grad_missing_requires_grad,
    _backward_missing,
    _transposed,
    _mul_vs_matmul,
    _matmul_vs_mul,
    _arange_end,
    _linspace_count,
    _squeeze_dims,
    _broadcast_bigger,
    _int_not_float,
    _float_not_int,
)


def detect(
    expect: Mapping[str, Any],
    learner: Value,
    reference: Value | None,
    code: str,
    lang: str = "en",
    *,
    context: Mapping[str, Value] | None = None,
    ref_context: Mapping[str, Value] | None = None,
    solution: str = "",
) -> list[Feedback]:
    """Diagnose one failing var expectation; return ``Feedback(kind="diagnosis")`` items.

    ``expect``: the expectation as a dict (``var``, ``props``, ``grad``,
    ``shares_memory_with``, ``independent_of``, ``failed`` ...). ``learner`` /
    ``reference``: the ``Value`` of ``expect["var"]`` on each side (reference None
    when the step has no reference value). ``code``: the learner's source.
    ``lang``: a catalog language. Optional, and the more the better:
    ``context`` / ``ref_context``: every loaded learner / reference Value by name
    (the ``snapshot.load`` dicts), used for the partner of a memory expectation,
    ``NAME.grad``, the tensor a gradient was read from, and the operands of ``*`` /
    ``@``; ``solution``: the reference solution's source, which lets ``*``-vs-``@``
    be told from the code when the operands are not in ``context``.
    """
    case = _Case(expect, learner, reference, code, lang, context or {}, ref_context or {}, solution)
    found: list[Feedback] = []
    for detector in DETECTORS:
        try:
            feedback = detector(case)
        except (RuntimeError, ValueError, TypeError, IndexError):  # odd values: no diagnosis
            feedback = None
        if feedback is not None and all(f.id != feedback.id for f in found):
            found.append(feedback)
    return found


# ------------------------------------------------------------------ pictures


def _json_number(x: Any) -> Any:
    """A JSON-safe Python value: non-finite floats and complex numbers as strings."""
    if isinstance(x, complex):
        return str(x)
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def _json(t: torch.Tensor) -> Any:
    value = t.tolist()

    def walk(v: Any) -> Any:
        return [walk(i) for i in v] if isinstance(v, list) else _json_number(v)

    return walk(value)


def value_picture(
    learner: Value, reference: Value, rtol: float | None = None, atol: float | None = None
) -> dict[str, Any] | None:
    """The expected-vs-yours payload for two values of the same shape, or None.

    Small tensors (at most 2-d, at most 8 x 8): ``{"kind": "diff", "name",
    "expected", "got", "mismatch"}`` with nested lists. Bigger ones, as
    ``assert_close`` reports: ``{"kind": "summary", "name", "count", "total",
    "max_diff", "at", "expected_at", "got_at"}``. Tolerances default to
    ``assert_close``'s (the looser of the two dtypes'); None when the shapes differ,
    either side has no numeric data, or nothing differs.
    """
    got, want = _data(learner), _data(reference)
    if got is None or want is None or got.shape != want.shape:
        return None
    rtol, atol = tolerance(got, want, rtol, atol)  # as the check compared them
    g, w = _wide(got), _wide(want)
    mismatch = ~torch.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    count = int(mismatch.sum())
    if count == 0:
        return None
    name = reference.name or learner.name
    if got.dim() <= 2 and all(n <= SMALL for n in got.shape):
        return {
            "kind": "diff",
            "name": name,
            "expected": _json(want),
            "got": _json(got),
            "mismatch": mismatch.tolist(),
        }
    gap = (g - w).abs()
    gap = torch.where(torch.isnan(gap), torch.full_like(gap, float("inf")), gap)  # NaN: the worst
    diff = torch.where(mismatch, gap, torch.zeros_like(gap))
    flat = int(torch.argmax(diff.real if diff.is_complex() else diff))
    at = [int(i) for i in torch.unravel_index(torch.tensor(flat), got.shape)]
    return {
        "kind": "summary",
        "name": name,
        "count": count,
        "total": got.numel(),
        "max_diff": _json_number(float(diff.flatten()[flat].real)),
        "at": at,
        "expected_at": _json_number(want.flatten()[flat].item()),
        "got_at": _json_number(got.flatten()[flat].item()),
    }


__all__ = ["DETECTORS", "detect", "value_picture"]
