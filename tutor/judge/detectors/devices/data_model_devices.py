"""`data-model-devices` (and `to-result-dropped`): the model moved to the device, its input
not; or ``x.to(device)`` whose result is thrown away."""

from __future__ import annotations

import ast

from tutor import codeinfo
from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


def _moved(tree: ast.AST) -> set[str]:
    """Names moved: ``m.to(...)`` / ``m.cuda()`` called on them, or rebound from such a call."""
    found: set[str] = set()
    for node in ast.walk(tree):
        call = node if isinstance(node, ast.Call) else None
        if call and isinstance(call.func, ast.Attribute) and call.func.attr in ("to", "cuda"):
            if isinstance(call.func.value, ast.Name):
                found.add(call.func.value.id)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr in ("to", "cuda"):
                found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


def _dropped(tree: ast.AST) -> list[str]:
    """``x.to(device)`` as a statement of its own: for a tensor the moved copy is lost."""
    return [
        node.value.func.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr in ("to", "cuda")
        and isinstance(node.value.func.value, ast.Name)
    ]


@detector(
    "data-model-devices",
    "to-result-dropped",
    premise=(
        "the code moves a module with .to()/.cuda() and calls it on a tensor that is never "
        "moved (checked from the code, so also on a machine without a GPU); or a tensor's "
        ".to(device) stands alone as a statement, its result thrown away"
    ),
    order=35,
    whole=True,
)
def _data_model_devices(case: Case) -> Feedback | None:
    tree = codeinfo.parse(case.code)
    if tree is None:
        return None
    values = case.context
    for name in _dropped(tree):
        v = values.get(name)
        if v is not None and v.kind == "tensor":
            return case.say("to-result-dropped", name=name)
    moved = _moved(tree)
    models = {n for n in moved if (v := values.get(n)) is not None and v.kind == "module"}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in models
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            data = node.args[0].id
            v = values.get(data)
            if data not in moved and v is not None and v.kind == "tensor":
                return case.say("data-model-devices", model=node.func.id, name=data)
    return None
