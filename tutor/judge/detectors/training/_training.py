"""What the training detectors share: loops in the code, modules and losses among the values."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tutor import codeinfo
from tutor.judge.detectors._case import Case
from tutor.judge.snapshot import Value


def loops(code: str) -> list[ast.AST]:
    tree = codeinfo.parse(code)
    return [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))] if tree else []


def calls_in(node: ast.AST) -> set[str]:
    """The attribute and function names called inside ``node`` (``opt.step()`` -> ``step``)."""
    found: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            if isinstance(func, ast.Attribute):
                found.add(func.attr)
            elif isinstance(func, ast.Name):
                found.add(func.id)
    return found


def training_loop(code: str) -> bool:
    """A ``for``/``while`` whose body calls ``backward()`` and ``step()``."""
    return any({"backward", "step"} <= calls_in(loop) for loop in loops(code))


def clears_grads(code: str) -> bool:
    """``zero_grad()``, ``x.grad.zero_()`` or ``x.grad = None`` anywhere in the code."""
    tree = codeinfo.parse(code)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "zero_grad":
                return True
            inner = node.func.value
            if node.func.attr == "zero_" and isinstance(inner, ast.Attribute):
                if inner.attr == "grad":
                    return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "grad" for t in node.targets
        ):
            return True
    return False


def modules(case: Case) -> Iterator[Value]:
    for name, v in case.context.items():
        if v.kind == "module" and v.module is not None and "." not in name and "[" not in name:
            yield v


def failed_checks(case: Case) -> list[str]:
    return [str(f) for f in case.expect.get("failed") or ()]
