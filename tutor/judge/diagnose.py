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
from tutor.judge.snapshot import Value
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

    def say(self, id_: str, en: str, zh: str) -> Feedback:
        return Feedback(id_, zh if self.lang.startswith("zh") else en, kind="diagnosis")

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
    return case.say(
        "list-not-tensor",
        f"`{case.name}` holds the right values, but as a Python {kind}, not a tensor. "
        f"Wrap it: `torch.tensor({case.name})`.",
        f"`{case.name}` 的值是对的，但它是 Python 的 {kind}，不是张量。"
        f"用 `torch.tensor({case.name})` 包一层。",
    )


def _ndarray_not_tensor(case: _Case) -> Feedback | None:
    ref = case.reference
    if case.learner.kind != "ndarray" or ref is None or ref.kind != "tensor":
        return None
    if not _close(_data(case.learner), _data(ref)):
        return None
    return case.say(
        "ndarray-not-tensor",
        f"`{case.name}` holds the right values, but it is a NumPy array, not a tensor. "
        f"`torch.from_numpy({case.name})` turns it into one that shares its memory; "
        f"`torch.tensor({case.name})` makes a copy.",
        f"`{case.name}` 的值是对的，但它是 NumPy 数组，不是张量。`torch.from_numpy({case.name})` "
        f"得到与它共享内存的张量；`torch.tensor({case.name})` 则复制一份。",
    )


def _wrong_device(case: _Case) -> Feedback | None:
    pair = _tensors(case)
    got = case.learner.device or "cpu"
    want = case.expect.get("device") or (case.reference.device if case.reference else None)
    if pair is None or not want or got.split(":")[0] == str(want).split(":")[0]:
        return None
    if not _close(*pair):
        return None
    return case.say(
        "wrong-device",
        f"`{case.name}` has the right values, but it lives on `{got}` and the step wants it on "
        f"`{want}`. Move it: `{case.name} = {case.name}.to(device)`.",
        f"`{case.name}` 的值是对的，但它在 `{got}` 上，而这一步要求在 `{want}` 上。"
        f"移过去：`{case.name} = {case.name}.to(device)`。",
    )


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
    cut = ""
    a, b = _data(case.learner), _data(ref)
    if a is not None and b is not None and a.shape == b.shape and not _close(a, b):
        cut = (
            " Your whole numbers differ from the expected fractions, e.g. "
            f"{_vals(a, 3)} vs {_vals(b, 3)}."
        )
    return case.say(
        "int-not-float",
        f"`{case.name}` holds integers ({got_dtype}), but floating-point numbers "
        f"({want_dtype}) were expected.{cut} Write `1.0` instead of `1`, pass "
        f"`dtype=torch.float32`, or call `.float()`.",
        f"`{case.name}` 是整数（{got_dtype}），而这里需要浮点数（{want_dtype}）。"
        f"把 `1` 写成 `1.0`、传入 `dtype=torch.float32`，或调用 `.float()`。",
    )


def _float_not_int(case: _Case) -> Feedback | None:
    ref = case.reference
    if ref is None:
        return None
    got_dtype = case.learner.dtype or case.learner.kind
    want_dtype = ref.dtype or ref.kind
    if not (_is_float(got_dtype) and _is_int(want_dtype)) or _shapes_differ(case.learner, ref):
        return None
    # Name the cause the code shows: a float literal, or the float-only torch.Tensor(...).
    if case.calls("torch.Tensor", "Tensor"):
        how = "`torch.Tensor(...)` always makes float32: use `torch.tensor(...)`, "
        how_zh = "`torch.Tensor(...)` 总是生成 float32：请用 `torch.tensor(...)`，"
    elif _has_float_literal(case.code):
        how, how_zh = "Write `1` instead of `1.0`, ", "把 `1.0` 写成 `1`、"
    else:
        how, how_zh = "", ""
    return case.say(
        "float-not-int",
        f"`{case.name}` holds floating-point numbers ({got_dtype}), but integers "
        f"({want_dtype}) were expected. {how}pass `dtype=torch.int64`, "
        f"or call `.long()` (`.int()` gives int32 and cuts toward zero).",
        f"`{case.name}` 是浮点数（{got_dtype}），而这里需要整数（{want_dtype}）。"
        f"{how_zh}传入 `dtype=torch.int64`，或调用 `.long()`"
        f"（`.int()` 得到 int32，向零截断）。",
    )


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
    if a.shape == b.shape:
        shapes_en = shapes_zh = ""
    else:
        shapes_en = (
            f" it has shape {_shape(a.shape)}, the expected result has {_shape(b.shape)}, and"
        )
        shapes_zh = f"它的形状是 {_shape(a.shape)}，期望是 {_shape(b.shape)}，而 "
    if _tensor_product(case.code, (ast.MatMult,), ("matmul", "mm", "bmm")):
        why_en = "Check the order of the operands (`(A @ B).T == B.T @ A.T`)."
        why_zh = "检查操作数的顺序（`(A @ B).T == B.T @ A.T`）。"
    else:
        why_en = "Check which dims you swapped or the shape you built it with."
        why_zh = "检查交换了哪两个维度，或创建时给的形状。"
    return case.say(
        "transposed",
        f"`{case.name}` looks transposed:{shapes_en} `{case.name}.T` holds exactly the expected "
        f"values. {why_en}",
        f"`{case.name}` 像是被转置了：{shapes_zh}`{case.name}.T` 恰好就是期望的值。{why_zh}",
    )


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


def _gave(case: _Case) -> tuple[str, str]:
    """ ", which gave `c` shape (2, 3)" when the learner's value is a tensor, else nothing."""
    if case.learner.kind != "tensor" or case.learner.shape is None:
        return "", ""
    shape = _shape(case.learner.shape)
    return f", which gave `{case.name}` shape {shape}", f"，得到的 `{case.name}` 形状为 {shape}"


def _want(case: _Case) -> str:
    ref = case.reference
    if ref is None or ref.shape is None:
        return ""
    return (
        f"，形状 {_shape(ref.shape)}"
        if case.lang.startswith("zh")
        else f", shape {_shape(ref.shape)}"
    )


def _mul_vs_matmul(case: _Case) -> Feedback | None:
    if not case.calls(*_MUL) or case.calls(*_MATMUL):
        return None
    pairs = _operands(case.code, (ast.Mult,), ("mul", "multiply"))
    fits = _product_fits(case, pairs, torch.mul, torch.matmul)
    if fits is None:  # operands unknown: the code must say it, on both sides
        fits = _sol_uses(case, _MATMUL) and _tensor_product(case.code, (ast.Mult,), _MUL[1:])
    if not fits or _same(case):
        return None
    gave, gave_zh = _gave(case)
    return case.say(
        "mul-vs-matmul",
        f"`*` multiplies element by element (the Hadamard product){gave}. This step wants the "
        f"matrix product (rows times columns){_want(case)}: use `@` (or `torch.matmul`).",
        f"`*` 是逐元素相乘（阿达玛积）{gave_zh}。这一步要的是矩阵乘法（行乘列）{_want(case)}："
        f"请用 `@`（或 `torch.matmul`）。",
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
    gave, gave_zh = _gave(case)
    return case.say(
        "matmul-vs-mul",
        f"`@` is the matrix product (rows times columns){gave}. This step wants the "
        f"element-by-element product{_want(case)}: use `*` (or `torch.mul`).",
        f"`@` 是矩阵乘法（行乘列）{gave_zh}。这一步要的是逐元素相乘{_want(case)}："
        f"请用 `*`（或 `torch.mul`）。",
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
    if a.numel() < b.numel():
        en = (
            f"`{case.name}` stops at {_num(a[-1].item())}, one value early: the expected result "
            f"also holds {_num(b[-1].item())}. `torch.arange(start, end, step)` leaves `end` out, "
            f"so `end` must be past the last value you want, e.g. {fix}."
        )
        zh = (
            f"`{case.name}` 停在 {_num(a[-1].item())}，少了一个值：期望的结果还包含 "
            f"{_num(b[-1].item())}。`torch.arange(start, end, step)` 不包含 `end`，"
            f"所以 `end` 要超过你想要的最后一个值，例如 {fix}。"
        )
    else:
        en = (
            f"`{case.name}` has one value too many at the end ({_num(a[-1].item())}); the "
            f"expected result stops at {_num(b[-1].item())}. `torch.arange` leaves `end` out, "
            f"so `end` is the first value you do not want: {fix}."
        )
        zh = (
            f"`{case.name}` 末尾多了一个值（{_num(a[-1].item())}）；"
            f"期望的结果停在 {_num(b[-1].item())}。"
            f"`torch.arange` 不包含 `end`，所以 `end` 是第一个你不想要的值：{fix}。"
        )
    return case.say("arange-end", en, zh)


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
    return case.say(
        "linspace-count",
        f"`{case.name}` runs from {lo} to {hi} in {a.numel()} points, but {b.numel()} points were "
        f"expected. The third argument of `torch.linspace(start, end, steps)` is how many points "
        f"you get, both ends included: `torch.linspace({lo}, {hi}, {b.numel()})`.",
        f"`{case.name}` 从 {lo} 到 {hi} 共 {a.numel()} 个点，而期望是 {b.numel()} 个点。"
        f"`torch.linspace(start, end, steps)` 的第三个参数就是点的个数，两端都包含："
        f"`torch.linspace({lo}, {hi}, {b.numel()})`。",
    )


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
    yours = f"yours at dim {mine}" if mine else "yours has none"
    yours_zh = f"你的在第 {mine} 维" if mine else "你的形状里没有"
    where = f"{yours}, expected at dim {ones}" if ones else f"{yours}; the expected shape has none"
    where_zh = f"{yours_zh}，期望在第 {ones} 维" if ones else f"{yours_zh}；期望的形状里没有"
    got, want = _shape(a.shape), _shape(b.shape)
    if a.dim() == b.dim():
        what, what_zh = "a size-1 dimension is in the wrong place", "大小为 1 的维度放错了位置"
    elif a.dim() < b.dim():
        what, what_zh = "a size-1 dimension is missing", "少了大小为 1 的维度"
    else:
        what, what_zh = "there is an extra size-1 dimension", "多了大小为 1 的维度"
    head = f"`{case.name}` has the right values but shape {got}; expected {want}: {what}."
    head_zh = f"`{case.name}` 的值是对的，但形状是 {got}，期望是 {want}：{what_zh}。"
    reshaped = case.calls("squeeze", "unsqueeze", "reshape", "view", "flatten")
    if not reshaped and case.calls(*_BUILDERS):
        # Built with one dim too many or too few: the brackets or the shape, not (un)squeeze.
        return case.say(
            "size-one-built",
            f"{head} Count the brackets or the sizes you gave: `torch.tensor(3.5)` has shape (), "
            f"`torch.tensor([3.5])` has shape (1,), `torch.zeros(3)` (3,) and `torch.zeros(1, 3)` "
            f"(1, 3).",
            f"{head_zh}数一数方括号或给出的各维大小：`torch.tensor(3.5)` 的形状是 ()，"
            f"`torch.tensor([3.5])` 是 (1,)，`torch.zeros(3)` 是 (3,)，"
            f"`torch.zeros(1, 3)` 是 (1, 3)。",
        )
    if case.calls("unsqueeze") or (not case.calls("squeeze") and a.dim() <= b.dim()):
        return case.say(
            "unsqueeze-dim",
            f"{head} Size-1 dims: {where}. `unsqueeze(d)` puts the new dimension at position `d`: "
            f"`unsqueeze(0)` of (3,) gives (1, 3), `unsqueeze(1)` gives (3, 1).",
            f"{head_zh}大小为 1 的维度：{where_zh}。`unsqueeze(d)` 会把新维度放在第 `d` 个位置："
            f"(3,) 经 `unsqueeze(0)` 得到 (1, 3)，经 `unsqueeze(1)` 得到 (3, 1)。",
        )
    return case.say(
        "squeeze-dim",
        f"{head} Size-1 dims: {where}. `squeeze()` with no argument removes every size-1 "
        f"dimension; `squeeze(d)` removes only dimension `d` (if its size is 1).",
        f"{head_zh}大小为 1 的维度：{where_zh}。不带参数的 `squeeze()` 会去掉所有大小为 1 的维度；"
        f"`squeeze(d)` 只去掉第 `d` 维（且它的大小必须为 1）。",
    )


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
    return case.say(
        "broadcast-bigger",
        f"`{case.name}` has shape {got}, bigger than the expected {want}: broadcasting stretched "
        f"your operands{who} into a grid. A (3,) and a (3, 1) tensor combine into (3, 3), "
        f"not (3,). Make both operands the same shape first, e.g. with `.squeeze(1)` or "
        f"`.view(-1)`.",
        f"`{case.name}` 的形状是 {got}，比期望的 {want} 大：广播把你的操作数{who}扩展成了一个网格。"
        f"形状 (3,) 和 (3, 1) 的张量相加得到 (3, 3)，而不是 (3,)。先让两个操作数形状一致，"
        f"例如用 `.squeeze(1)` 或 `.view(-1)`。",
    )


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
    if k < 2 or not _close(got, want * k) or _backward_calls(case.code) < k:
        return None  # k x the gradient, but the code cannot have run backward() k times
    base = case.name.removesuffix(".grad")
    return case.say(
        "grad-accumulated",
        f"`{base}.grad` is exactly {k} × the expected gradient ({_vals(want)}). Gradients add up "
        f"across `backward()` calls, so `backward()` probably ran {k} times. Zero the gradient "
        f"before each backward (`{base}.grad.zero_()` or `{base}.grad = None`).",
        f"`{base}.grad` 恰好是期望梯度（{_vals(want)}）的 {k} 倍。"
        f"多次调用 `backward()` 时梯度会累加，"
        f"所以 `backward()` 很可能运行了 {k} 次。每次反向传播前先清零（`{base}.grad.zero_()` 或 "
        f"`{base}.grad = None`）。",
    )


def _backward_calls(code: str) -> int:
    """How many times ``code`` calls ``backward()`` (many, when a call sits in a loop)."""
    tree = codeinfo.parse(code)
    count = 0
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, (ast.For, ast.While)) and any(
            _is_backward(inner) for inner in ast.walk(node)
        ):
            return 1_000
        count += _is_backward(node)
    return count


def _is_backward(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "backward"
    )


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


def _grad_expected(case: _Case) -> bool:
    """Whether the step expects a gradient on this name (not merely ``requires_grad``)."""
    ref = case.reference
    return (
        _is_gradient(case)
        or case.expect.get("grad") not in (None, "none")
        or bool(ref is not None and ref.has_grad)
        or (ref is None and _grad_source(case) is not None)  # no reference: the code reads .grad
    )


def _grad_non_leaf(case: _Case) -> Feedback | None:
    if not (_wants_grad(case) and _grad_missing(case) and _grad_expected(case)):
        return None
    if not (case.calls("backward") or _backward_calls(case.solution)):
        return None  # "after backward()" needs a backward() somewhere
    source, value = _source_value(case)
    if value is not None and value.kind == "tensor":
        if value.is_leaf is not False:
            return None
        made = f" (grad_fn={value.grad_fn})" if value.grad_fn else ""
        made_zh = f"（grad_fn={value.grad_fn}）" if value.grad_fn else ""
    elif _made_by_op(case.code, source):
        made = made_zh = ""
    else:
        return None
    leaves = [
        n
        for n, v in case.context.items()
        if v.kind == "tensor" and v.is_leaf and v.requires_grad and "." not in n
    ]
    read = f"`{leaves[0]}.grad`" if leaves else "the `.grad` of the tensor you created"
    read_zh = f"`{leaves[0]}.grad`" if leaves else "你创建的那个张量的 `.grad`"
    return case.say(
        "grad-non-leaf",
        f"`{source}` is not a leaf: it was computed from other tensors{made}, so after "
        f"`backward()` PyTorch keeps no `.grad` for it (it warns about this) and `{source}.grad` "
        f"is None. Gradients land on the leaves you created with `requires_grad=True`: read "
        f"{read}. (To keep an intermediate gradient, call `{source}.retain_grad()` before "
        f"`backward()`.)",
        f"`{source}` 不是叶子节点：它是由其他张量计算出来的{made_zh}，"
        f"所以 `backward()` 之后 PyTorch 不会为它保留 `.grad`（并会给出警告），"
        f"`{source}.grad` 是 None。梯度存放在你用 `requires_grad=True` 创建的叶子上："
        f"请读取 {read_zh}。"
        f"（若要保留中间结果的梯度，在 `backward()` 之前调用 `{source}.retain_grad()`。）",
    )


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
        tracked = [
            n
            for n in sorted(_operands_of(case.code, source))
            if (v := case.context.get(n)) is not None and v.kind == "tensor" and v.requires_grad
        ]
        if tracked:  # its input requires grad: something cut the graph
            return _cut_off(case, source, tracked[0])
        where = (
            "Create the input it is computed from with `requires_grad=True`, then compute it again"
        )
        where_zh = "用 `requires_grad=True` 创建它所依赖的输入，然后重新计算"
    elif case.code.strip() and source not in codeinfo.assigned(case.code):
        # A tensor that already exists (given, or made earlier): switch tracking on.
        where = f"Switch it on: `{source}.requires_grad_()` (or `{source}.requires_grad = True`)"
        where_zh = f"把它打开：`{source}.requires_grad_()`（或 `{source}.requires_grad = True`）"
    else:
        where = "Create it with `requires_grad=True` (`torch.tensor(..., requires_grad=True)`)"
        where_zh = "创建时加上 `requires_grad=True`（`torch.tensor(..., requires_grad=True)`）"
    return case.say(
        "grad-missing-requires-grad",
        f"`{source}` does not require grad, so autograd did not track it and no gradient reaches "
        f"it. {where}.",
        f"`{source}` 没有 requires_grad，自动微分不会跟踪它，梯度也就传不到它。{where_zh}。",
    )


def _operands_of(code: str, name: str) -> set[str]:
    """The names read by the last assignment to ``name`` in ``code``."""
    tree = codeinfo.parse(code)
    found: set[str] = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
    return found


def _cut_off(case: _Case, source: str, tracked: str) -> Feedback | None:
    """``source`` came from ``tracked``, which requires grad: ``detach()`` or ``no_grad`` cut it."""
    if case.calls("detach"):
        how, how_zh = "`.detach()` cut it off the graph", "`.detach()` 把它从计算图上切了下来"
        fix, fix_zh = "without `.detach()`", "不要 `.detach()`"
    elif "no_grad" in case.code:
        how, how_zh = (
            "it was computed inside `torch.no_grad()`",
            "它是在 `torch.no_grad()` 里算出来的",
        )
        fix, fix_zh = "outside `torch.no_grad()`", "放在 `torch.no_grad()` 外面"
    else:
        return None  # the cause is not in the code: say nothing rather than guess
    return case.say(
        "grad-missing-requires-grad",
        f"`{source}` is computed from `{tracked}`, which requires grad, but {how}, so autograd "
        f"does not track it. Compute it from `{tracked}` {fix}.",
        f"`{source}` 是由需要梯度的 `{tracked}` 算出来的，但{how_zh}，所以自动微分不会跟踪它。"
        f"请直接用 `{tracked}` 计算，{fix_zh}。",
    )


def _result_of(solution: str) -> str:
    """The tensor the reference solution calls ``backward()`` on (``loss``), or ""."""
    tree = codeinfo.parse(solution)
    for node in ast.walk(tree) if tree else ():
        if _is_backward(node):
            receiver = node.func.value  # type: ignore[attr-defined]
            return ast.get_source_segment(solution, receiver) or ""
    return ""


def _backward_missing(case: _Case) -> Feedback | None:
    if not (_wants_grad(case) and _grad_missing(case)) or case.calls("backward", "grad"):
        return None
    source, value = _source_value(case)
    if value is None or value.kind != "tensor" or not value.requires_grad or not value.is_leaf:
        return None
    result = _result_of(case.solution)
    here = f" (here: `{result}.backward()`)" if result else ""
    here_zh = f"（这里是 `{result}.backward()`）" if result else ""
    return case.say(
        "backward-missing",
        f"`{source}.grad` is still None: gradients are only computed when you call `.backward()` "
        f"on the result that depends on `{source}`{here}.",
        f"`{source}.grad` 仍是 None：只有对依赖 `{source}` 的结果调用 `.backward()`{here_zh}时"
        f"才会计算梯度。",
    )


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
            "copy-not-shared",
            f"`{statement}` computes a new tensor and then rebinds the name to it, "
            f"so `{partner}` still holds the old one. Change the tensor itself with the in-place "
            f"form: a method ending in `_` (`{case.name}.mul_(2)`) or `{case.name} *= 2`.",
            f"`{statement}` 先算出一个新张量，再让名字指向它，所以 `{partner}` 仍是旧的那个。"
            f"要修改张量本身，请用原地写法："
            f"以 `_` 结尾的方法（`{case.name}.mul_(2)`）或 `{case.name} *= 2`。",
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
    how = f" ({call} makes a copy)" if call else ""
    how_zh = f"（{call} 会复制）" if call else ""
    return case.say(
        "copy-not-shared",
        f"`{case.name}` has its own copy of the data{how}, so changing `{partner}` will not change "
        f"it. To share memory use `torch.from_numpy(array)`, `tensor.numpy()`, `detach()` or a "
        f"view (`view`, slicing).",
        f"`{case.name}` 拥有一份独立的数据副本{how_zh}，所以修改 `{partner}` 不会影响它。"
        f"要共享内存，请用 "
        f"`torch.from_numpy(array)`、`tensor.numpy()`、`detach()` 或视图（`view`、切片）。",
    )


def _shared_not_copy(case: _Case) -> Feedback | None:
    partner = case.expect.get("independent_of")
    if not partner or not _overlap(case.learner, case.context.get(partner)):
        return None
    return case.say(
        "shared-not-copy",
        f"`{case.name}` shares memory with `{partner}`: changing one changes the other. Make an "
        f"independent copy: `.clone()` for a tensor (`detach().clone()` to leave the graph too), "
        f"`.copy()` for a NumPy array, or `torch.tensor(array)`.",
        f"`{case.name}` 与 `{partner}` 共享内存：改一个，另一个也会变。请做一份独立的副本：张量用 "
        f"`.clone()`（要同时脱离计算图用 `detach().clone()`），NumPy 数组用 `.copy()`，"
        f"或 `torch.tensor(array)`。",
    )


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
    ``lang``: ``"en"`` or ``"zh"``. Optional, and the more the better:
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
    from tutor.judge.checks import (
        tolerance,  # here: tutor.judge.checks imports this module lazily too
    )

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
