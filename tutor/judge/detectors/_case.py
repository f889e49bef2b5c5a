"""What a detector sees (``Case``) and the helpers detectors share: tensors, shapes, operands.

Runs in the judge process: imports torch, never rich.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Feedback

_MATMUL = ("@", "matmul", "mm", "bmm", "mv", "dot", "einsum")

_MUL = ("*", "mul", "multiply")

_ARITH = ("+", "-", "*", "/", "add", "sub", "mul", "div")


@dataclass(frozen=True)
class Case:
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
        text = self.msg(id_, part, **fields).render(self.lang)
        return Feedback(id_, text, kind="diagnosis", about=(self.name.split(".")[0],))

    def calls(self, *patterns: str) -> list[str]:
        return codeinfo.calls_any(self.code, patterns)


def _data(v: Value | None) -> torch.Tensor | None:
    return v.data if v is not None and isinstance(v.data, torch.Tensor) else None


def _tensors(case: Case) -> tuple[torch.Tensor, torch.Tensor] | None:
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


def _grad_source(case: Case, code: str | None = None) -> str | None:
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


def _made_without(case: Case, *patterns: str) -> bool:
    """Whether the learner's code is known and calls none of ``patterns`` (then a detector that
    blames one of those calls has nothing to blame: a slice one short is no ``arange`` mistake)."""
    return bool(case.code.strip()) and not case.calls(*patterns)


def _shapes_differ(a: Value, b: Value) -> bool:
    """Both have shapes and they differ: then the shape is the news, not the dtype."""
    return a.shape is not None and b.shape is not None and tuple(a.shape) != tuple(b.shape)
