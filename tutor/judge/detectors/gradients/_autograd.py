"""What the gradient detectors share: the gradients of a case, whether it is about them."""

from __future__ import annotations

import ast

import torch

from tutor import codeinfo
from tutor.judge.detectors._case import (
    Case,
    _close,
    _data,
    _grad_source,
)
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Feedback


def _grads(case: Case) -> tuple[torch.Tensor | None, torch.Tensor | None]:
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


_GRAD_CHECKS = (".grad", ".requires_grad", ".grad_fn", ".is_leaf")


def _is_gradient(case: Case) -> bool:
    """Whether the checked name holds a gradient: ``x.grad``, ``g = x.grad`` in the solution, or a
    reference value equal to one of the reference's gradients."""
    if case.name.endswith(".grad") or _grad_source(case, case.solution or "") is not None:
        return True
    want = _data(case.reference)
    return want is not None and any(
        n.endswith(".grad") and n != case.name + ".grad" and _close(_data(v), want)
        for n, v in case.ref_context.items()
    )


def _grad_check_failed(case: Case) -> bool:
    """False when the failing checks are known and none of them is one a gradient explains."""
    if "failed" not in case.expect:
        return True
    failed = [str(f) for f in case.expect.get("failed") or ()]
    if _grad_source(case) is not None or _is_gradient(case):
        return bool(failed)  # the name is a gradient: whatever fails is about it
    return any(f.endswith(_GRAD_CHECKS) for f in failed)


def _wants_grad(case: Case) -> bool:
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


def _grad_missing(case: Case) -> bool:
    """Whether the learner's gradient for this expectation was seen to be None.

    A name the run never bound (it raised first) says nothing about gradients.
    """
    if case.name.endswith(".grad") or _grad_source(case):
        return case.learner.kind == "none"
    return case.learner.kind == "tensor" and case.learner.has_grad is False


def _source_value(case: Case) -> tuple[str, Value | None]:
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


def _is_backward(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "backward"
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


def _grad_expected(case: Case) -> bool:
    """Whether the step expects a gradient on this name (not merely ``requires_grad``)."""
    ref = case.reference
    return (
        _is_gradient(case)
        or case.expect.get("grad") not in (None, "none")
        or bool(ref is not None and ref.has_grad)
        or (ref is None and _grad_source(case) is not None)  # no reference: the code reads .grad
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


def _cut_off(case: Case, source: str, tracked: str) -> Feedback | None:
    """``source`` came from ``tracked``, which requires grad: ``detach()`` or ``no_grad`` cut it;
    None when the code shows neither (then nothing is said rather than a guess)."""
    if case.calls("detach"):
        cause = "detach"
    elif "no_grad" in case.code:
        cause = "no_grad"
    else:
        return None
    say = "grad-missing-requires-grad"
    return case.say(
        say,
        "cut",
        source=source,
        tracked=tracked,
        how=case.msg(say, f"how_{cause}"),
        fix=case.msg(say, f"fix_{cause}"),
    )


def _result_of(solution: str) -> str:
    """The tensor the reference solution calls ``backward()`` on (``loss``), or ""."""
    tree = codeinfo.parse(solution)
    for node in ast.walk(tree) if tree else ():
        if _is_backward(node):
            receiver = node.func.value  # type: ignore[attr-defined]
            return ast.get_source_segment(solution, receiver) or ""
    return ""
