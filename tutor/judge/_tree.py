"""Worker side: a value a predicate may read (a module, an optimizer, a dict, a dtype ...) as
plain data, a JSON tree plus a list of CPU tensors; ``tutor.judge.rebuild`` makes it an
object again in the judge.

No code of the learner runs here: an object's state is read from its instance dict
through the descriptor of a PyTorch base class (never ``obj.__dict__``, which a class
may redefine), types are compared exactly, containers are walked with the built-in
types' own methods, and a class is named PyTorch's only when the class found at its
name in an already-imported ``torch`` module is that very class. Anything else is no
plain data: ``tree`` returns None.
"""

from __future__ import annotations

import builtins as _builtins
import sys as _sys
import types as _types
from typing import Any

_type = _builtins.type
_issubclass = _builtins.issubclass
_id = _builtins.id
_len = _builtins.len
_str = _builtins.str
_list_items = _builtins.list.__iter__
_dict_items = _builtins.dict.items
_tuple_iter = _builtins.tuple.__iter__
_TYPE_SLOTS: Any = _builtins.type.__dict__  # read a class's name and dict without its metaclass
_type_name = _TYPE_SLOTS["__name__"].__get__
_type_module = _TYPE_SLOTS["__module__"].__get__
_type_qualname = _TYPE_SLOTS["__qualname__"].__get__
_class_dict = _TYPE_SLOTS["__dict__"].__get__
_MODULE_SLOTS: Any = _types.ModuleType.__dict__
_module_dict = _MODULE_SLOTS["__dict__"].__get__
_ModuleType = _types.ModuleType
_sys_modules = _sys.modules
_PLAIN = (_builtins.bool, _builtins.int, _builtins.str, _builtins.type(None))

MAX_NODES = 5000
MAX_ELEMENTS = 20_000_000
MAX_DEPTH = 24


def _capture() -> dict[str, Any]:
    try:
        import collections

        import torch
    except ImportError:  # pragma: no cover - the UI process never takes snapshots
        return {}
    return {
        "Tensor": torch.Tensor,
        "Parameter": torch.nn.Parameter,
        "Module": torch.nn.Module,
        "Optimizer": torch.optim.Optimizer,
        "dtype": torch.dtype,
        "device": torch.device,
        "Size": torch.Size,
        "dicts": (dict, collections.OrderedDict, collections.defaultdict),
        "module_dict": torch.nn.Module.__dict__["__dict__"].__get__,
        "optimizer_dict": torch.optim.Optimizer.__dict__["__dict__"].__get__,
    }


_T = _capture()


class _TooBig(Exception):
    pass


class _Walk:
    """One value's walk: the tensors found (each once, by identity) and the size so far."""

    def __init__(self, tensor: Any) -> None:
        self.tensor = tensor  # (obj) -> (meta, cpu data, grad), from snapshot
        self.tensors: list[Any] = []
        self.found: dict[int, dict[str, Any]] = {}  # id(tensor) -> its node
        self.nodes = 0
        self.elements = 0

    def node(self, obj: Any, depth: int) -> dict[str, Any] | None:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise _TooBig
        kind = _type(obj)
        if kind in _PLAIN:
            return {"t": "py", "v": obj}
        if kind is _builtins.float:
            finite = obj == obj and obj not in (float("inf"), float("-inf"))
            return {"t": "py", "v": obj} if finite else {"t": "float", "v": _str(obj)}
        if kind is _builtins.complex:
            return {"t": "complex", "v": [obj.real, obj.imag]}
        T = _T
        if _issubclass(kind, T["Tensor"]):
            return self.tensor_node(obj)
        if kind is T["dtype"] or kind is T["device"]:
            return {"t": "dtype" if kind is T["dtype"] else "device", "v": _str(obj)}
        if kind is T["Size"]:
            return {"t": "size", "v": [int(n) for n in _tuple_iter(obj)]}
        if kind is _builtins.list or kind is _builtins.tuple:
            items = _list_items(obj) if kind is _builtins.list else _tuple_iter(obj)
            found = [self.node(item, depth + 1) for item in items]
            if any(f is None for f in found):
                return None
            return {"t": "list" if kind is _builtins.list else "tuple", "v": found}
        if kind in T["dicts"]:
            pairs = []
            for key, value in _dict_items(obj):
                k, v = self.node(key, depth + 1), self.node(value, depth + 1)
                if k is None or v is None:
                    return None
                pairs.append([k, v])
            return {"t": "dict", "v": pairs}
        if _issubclass(kind, T["Module"]):
            return self.module_node(obj, kind, depth)
        if _issubclass(kind, T["Optimizer"]):
            return self.optimizer_node(obj, kind, depth)
        return None

    def tensor_node(self, t: Any) -> dict[str, Any]:
        """A tensor's node; the same tensor twice (tied weights, an optimizer's parameters)
        is one node, so it comes back as one object."""
        key = _id(t)
        if key in self.found:
            return self.found[key]
        meta, data, grad = self.tensor(t)
        if data is None:
            raise _TooBig  # a meta tensor: no values to carry
        self.elements += int(data.numel())
        if self.elements > MAX_ELEMENTS:
            raise _TooBig
        node: dict[str, Any] = {
            "t": "tensor",
            "i": _len(self.tensors),
            "param": _issubclass(_type(t), _T["Parameter"]),
            "rg": bool(meta["requires_grad"]),
            "grad": None,
        }
        self.tensors.append(data)
        self.found[key] = node
        if grad is not None:
            node["grad"] = self.tensor_node(grad)
        return node

    def module_node(self, obj: Any, kind: type, depth: int) -> dict[str, Any] | None:
        state = _T["module_dict"](obj)
        parts: dict[str, Any] = {}
        for part in ("_parameters", "_buffers", "_modules"):
            table = state.get(part)
            if _type(table) not in _T["dicts"]:
                return None
            parts[part] = []
            for name, value in _dict_items(table):
                if _type(name) is not _builtins.str:
                    return None
                found = None if value is None else self.node(value, depth + 1)
                if value is not None and found is None:
                    return None
                parts[part].append([name, found])
        training = state.get("training")
        return {
            "t": "module",
            **_class_of(kind),
            "training": training if _type(training) is _builtins.bool else True,
            "params": parts["_parameters"],
            "buffers": parts["_buffers"],
            "modules": parts["_modules"],
            "attrs": self.attrs(state, depth, _MODULE_PARTS),
        }

    def optimizer_node(self, obj: Any, kind: type, depth: int) -> dict[str, Any] | None:
        state = _T["optimizer_dict"](obj)
        # ``state`` is keyed by parameters: walked as a dict, its keys are the tensors of
        # the groups, so they come back as the same objects.
        found = {key: self.node(state.get(key), depth + 1) for key in _OPTIMIZER_PARTS}
        if any(v is None for v in found.values()):
            return None
        return {
            "t": "optimizer",
            **_class_of(kind),
            **found,
            "attrs": self.attrs(state, depth, _OPTIMIZER_PARTS),
        }

    def attrs(self, state: dict[str, Any], depth: int, skip: frozenset[str]) -> list[list[Any]]:
        """The other entries of an instance dict that are plain data (settings such as
        ``in_features``); hooks and anything else not plain are left out."""
        kept = []
        for name, value in _dict_items(state):
            if _type(name) is _builtins.str and name not in skip:
                found = self.node(value, depth + 1)
                if found is not None:
                    kept.append([name, found])
        return kept


_MODULE_PARTS = frozenset(("_parameters", "_buffers", "_modules", "training"))
_OPTIMIZER_PARTS = frozenset(("defaults", "param_groups", "state"))


def _class_of(kind: type) -> dict[str, Any]:
    """The class's name, and its ``module:qualname`` when it is PyTorch's own class."""
    name = _type_name(kind)
    return {"name": name if _type(name) is _builtins.str else "", "torch": _torch_path(kind)}


def _torch_path(kind: type) -> str | None:
    module, qualname = _type_module(kind), _type_qualname(kind)
    if _type(module) is not _builtins.str or _type(qualname) is not _builtins.str:
        return None
    if not (module == "torch" or module.startswith("torch.")):
        return None
    found: Any = _sys_modules.get(module)
    for part in qualname.split("."):
        if _type(found) is _ModuleType:
            found = _module_dict(found).get(part)
        elif _type(found) is _builtins.type:
            found = _class_dict(found).get(part)
        else:
            return None
    return f"{module}:{qualname}" if found is kind else None


def tree(obj: Any, tensor: Any) -> tuple[dict[str, Any], list[Any]] | None:
    """``obj`` as a JSON tree and its tensors (CPU copies), or None when it is not plain data
    (or too big: more than MAX_NODES parts or MAX_ELEMENTS numbers)."""
    if not _T:
        return None
    walk = _Walk(tensor)
    try:
        found = walk.node(obj, 0)
    except _TooBig:
        return None
    except Exception:  # noqa: BLE001 - e.g. a lazy module's parameter that holds no data yet
        return None
    if found is None:
        return None
    return found, walk.tensors


def tensor_nodes(node: Any) -> list[dict[str, Any]]:
    """The tree's tensor nodes in the order of their numbers (``"i"``): the order of the
    tensors ``tree`` returned. Each number is counted once (a tensor met twice is one)."""
    found: dict[int, dict[str, Any]] = {}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("t") == "tensor" and isinstance(item.get("i"), int):
                found.setdefault(item["i"], item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if sorted(found) != list(range(len(found))):
        raise ValueError("a tree's tensors are not numbered 0..n-1")
    return [found[i] for i in range(len(found))]


__all__ = ["MAX_ELEMENTS", "MAX_NODES", "tensor_nodes", "tree"]
