"""Losses and layers: class labels of the wrong kind, a layer given the wrong number of
features.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _r, _shape, explains


@explains(
    "float-targets",
    _r(r"expected target dtype to be Long or Byte, but got (?P<got>\w+)"),
    order=300,
)
def _float_targets(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    return Msg("errors.float_targets", got=m["got"]), None


@explains(
    "one-hot-targets",
    _r(r"Expected floating point type for target with class probabilities, got (?P<got>\w+)"),
    order=310,
)
def _one_hot(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    return Msg("errors.one_hot_targets", got=m["got"]), None


_PRODUCTS = {"matmul", "mm", "bmm", "mv", "dot", "einsum", "addmm", "linear"}


def _calls_a_layer(code: str) -> bool:
    """The failing code multiplies by calling something (``layer(x)``, ``model(x)``), not with
    ``@`` or a product function: the matrix in the message is a layer's weight. A built-in
    (``print``, an exception raised with the message) is no layer."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    raised = {id(n) for r in ast.walk(tree) if isinstance(r, ast.Raise) for n in ast.walk(r)}
    called = False
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return False
        if isinstance(node, ast.Call) and id(node) not in raised:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _PRODUCTS:
                return False
            builtin = isinstance(func, ast.Name) and hasattr(builtins, func.id)
            called = called or (isinstance(func, (ast.Name, ast.Attribute)) and not builtin)
    return called


@explains(
    "linear-in-features",
    _r(r"mat1 and mat2 shapes cannot be multiplied \((?P<a>\d+x\d+) and (?P<b>\d+x\d+)\)"),
    order=-10,
    when=_calls_a_layer,
)
def _linear_in_features(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    a, b = _shape(m["a"]), _shape(m["b"])
    return Msg("errors.linear_in_features", want=b[0], got=a[-1], out=b[1]), None
