"""Describe a tensor's autograd graph as plain JSON (worker side; torch imported lazily).

``describe(namespace, name)`` walks ``grad_fn.next_functions`` from the named
tensor back to its leaves (``AccumulateGrad`` nodes hold the leaf tensor) and
names each leaf by identity with the namespace's tensors and module
parameters. The walk is bounded (depth and node count), and a node reached a
second time is written once and then referred to, so a diamond-shaped graph
stays small. ``tutor.render.pictures.GraphTree`` draws the result.
"""

from __future__ import annotations

from typing import Any

from tutor.i18n import LANGS, t

MAX_DEPTH = 16
MAX_NODES = 80


def _error(kind: str, name: str, grad: str = "", **fields: Any) -> dict[str, Any]:
    """A graph payload that explains why there is no graph, in every catalog's language.

    ``grad``: a ``graph.*`` catalog key whose words fill the ``{grad}`` field.
    """

    def message(lang: str) -> str:
        words = {"grad": t(f"graph.{grad}", lang)} if grad else {}
        return t(f"graph.{kind}", lang, name=name, **words, **fields)

    return {
        "kind": "graph",
        "name": name,
        "error": kind,
        "message": {lang: message(lang) for lang in LANGS},
    }


def _lookup(namespace: dict[str, Any], name: str) -> tuple[bool, Any]:
    """Resolve ``x`` or an attribute path ``model.weight`` in the namespace."""
    head, *rest = name.split(".")
    if head not in namespace:
        return False, None
    obj = namespace[head]
    for attr in rest:
        if not hasattr(obj, attr):
            return False, None
        obj = getattr(obj, attr)
    return True, obj


def _names(namespace: dict[str, Any]) -> dict[int, str]:
    """Map id(tensor) -> a name for the namespace's tensors and module parameters."""
    import torch

    found: dict[int, str] = {}
    for key, value in namespace.items():
        if key.startswith("_"):
            continue
        if isinstance(value, torch.Tensor):
            found.setdefault(id(value), key)
            if value.grad_fn is not None:  # names the op that made an intermediate result
                found.setdefault(id(value.grad_fn), key)
        elif isinstance(value, torch.nn.Module):
            for pname, param in value.named_parameters():
                found.setdefault(id(param), f"{key}.{pname}")
    return found


class _Walker:
    """One bounded walk over a graph; remembers the nodes already written."""

    def __init__(self, names: dict[int, str], max_depth: int, max_nodes: int) -> None:
        self.names = names
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.count = 0
        self.seen: set[int] = set()
        self.truncated = False

    def leaf(self, tensor: Any) -> dict[str, Any]:
        return {
            "leaf": True,
            "name": self.names.get(id(tensor)),
            "shape": list(tensor.shape),
            "dtype": str(tensor.dtype).removeprefix("torch."),
            "requires_grad": bool(tensor.requires_grad),
            "has_grad": tensor.grad is not None,
        }

    def node(self, fn: Any, depth: int) -> dict[str, Any]:
        if depth > self.max_depth or self.count >= self.max_nodes:
            self.truncated = True
            return {"truncated": True}
        self.count += 1
        variable = getattr(fn, "variable", None)
        if variable is not None:  # AccumulateGrad: the edge into a leaf tensor
            return self.leaf(variable)
        op = type(fn).__name__
        if id(fn) in self.seen:
            return {"op": op, "seen": True}
        self.seen.add(id(fn))
        children = [
            self.node(child, depth + 1)
            for child, _ in getattr(fn, "next_functions", ())
            if child is not None
        ]
        out: dict[str, Any] = {"op": op, "children": children}
        if id(fn) in self.names:
            out["name"] = self.names[id(fn)]
        return out


def describe(
    namespace: dict[str, Any], name: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> dict[str, Any]:
    """The autograd graph behind ``namespace[name]`` as JSON for ``render.pictures.GraphTree``.

    Returns ``{"kind": "graph", "name", "shape", "dtype", "grad_fn", "root",
    "nodes", "truncated"}``; ``root`` is a node: ``{"op": "MulBackward0",
    "children": [...], "name"?}`` (name: the namespace variable this op made),
    ``{"leaf": true, "name": "x" | None, "shape",
    "dtype", "requires_grad", "has_grad"}``, ``{"op", "seen": true}`` (written
    earlier) or ``{"truncated": true}``. On failure: ``{"kind": "graph", "name",
    "error": "missing" | "not-tensor" | "leaf" | "no-grad", "message": {"en", "zh"}}``.
    """
    import torch

    found, obj = _lookup(namespace, name)
    if not found:
        return _error("missing", name)
    if not isinstance(obj, torch.Tensor):
        return _error("not-tensor", name, type=type(obj).__name__)
    if obj.grad_fn is None:
        if obj.requires_grad:
            has = obj.grad is not None
            return _error("leaf", name, grad="grad_set" if has else "grad_none")
        return _error("no-grad", name)
    walker = _Walker(_names(namespace), max_depth, max_nodes)
    root = walker.node(obj.grad_fn, 0)
    return {
        "kind": "graph",
        "name": name,
        "shape": list(obj.shape),
        "dtype": str(obj.dtype).removeprefix("torch."),
        "grad_fn": type(obj.grad_fn).__name__,
        "root": root,
        "nodes": walker.count,
        "truncated": walker.truncated,
    }


__all__ = ["describe"]
