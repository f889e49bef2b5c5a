"""Snapshot readers for objects beyond tensors (worker side, no learner code runs): lists and
dicts of strings and numbers as plain JSON data, ``nn.Module`` descriptions (layers, parameter
names, shapes, count, gradient state, mode) and optimizer descriptions (hyper-parameters and
the identities of the parameters each group holds), and index paths (``losses[-1]``).

Everything is read statically: ``inspect.getattr_static``, exact ``dict``/``list`` tables,
base-class methods; never a learner's ``__getattr__``, property, ``__repr__`` or override.
"""

from __future__ import annotations

import re as _re
from typing import Any

from tutor.judge._capture import (
    _MAX_MODULES,
    _MAX_PLAIN,
    _T,
    _bool,
    _dict_items,
    _float_value,
    _getattr_static,
    _id,
    _int,
    _int_value,
    _is,
    _issubclass,
    _len,
    _list_copy,
    _NotPlain,
    _plain_tensor,
    _prop,
    _str,
    _str_value,
    _tuple_iter,
    _type,
    _type_name,
)


def _json_into(meta: dict[str, Any], obj: Any) -> None:
    """``meta["plain"]``: a list, tuple or dict of strings, numbers, bools and None, read
    through the base classes (no learner method runs); left out when it holds anything else."""
    try:
        meta["plain"] = _json_value(obj, [_MAX_PLAIN], 0)
    except (_NotPlain, RecursionError):
        pass


def _json_value(obj: Any, budget: list[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > 16:
        raise _NotPlain
    cls = _type(obj)
    if obj is None or cls is bool:
        return obj
    if _issubclass(cls, bool):
        return _bool(_int_value(obj))
    if _issubclass(cls, int):
        value = _int_value(obj)
        return value if -(2**63) <= value < 2**63 else _str(value)
    if _issubclass(cls, float):
        number = _float_value(obj)
        finite = number == number and number not in (float("inf"), float("-inf"))
        return number if finite else _str(number)
    if _issubclass(cls, str):
        return _str_value(obj)[:10_000]
    if _issubclass(cls, list):
        return [_json_value(item, budget, depth + 1) for item in _list_copy(obj)]
    if _issubclass(cls, tuple):
        return [_json_value(item, budget, depth + 1) for item in _tuple_iter(obj)]
    if _issubclass(cls, dict):
        out = {}
        for key, item in _dict_items(obj):
            if not _issubclass(_type(key), str):
                raise _NotPlain
            out[_str_value(key)] = _json_value(item, budget, depth + 1)
        return out
    raise _NotPlain


def _table(obj: Any, store: str) -> dict[str, Any]:
    """An ``nn.Module``'s own ``_parameters``/``_buffers``/``_modules`` dict, read statically;
    empty when it is not a plain dict (a property, a learner's mapping)."""
    try:
        table = _getattr_static(obj, store)
    except AttributeError:
        return {}
    if _type(table) is not dict:
        return {}
    return {k: v for k, v in _dict_items(table) if _type(k) is _str and v is not None}


def _children(mod: Any) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in _table(mod, "_modules").items() if _is(v, _T["Module"])]


def _module_tensors(mod: Any) -> list[tuple[str, Any, bool]]:
    """(state_dict key, tensor, is a parameter) in ``state_dict`` order, each tensor once."""
    T = _T
    out: list[tuple[str, Any, bool]] = []
    seen: set[int] = set()
    walked: set[int] = set()
    stack: list[tuple[str, Any]] = [("", mod)]
    while stack and _len(walked) < _MAX_MODULES:
        prefix, m = stack.pop()
        if _id(m) in walked:
            continue
        walked.add(_id(m))
        skip = _getattr_static(m, "_non_persistent_buffers_set", None)
        skip = skip if _type(skip) is set else set()
        for store in ("_parameters", "_buffers"):
            for key, t in _table(m, store).items():
                if not _is(t, T["TensorBase"]) or _id(t) in seen:
                    continue
                if store == "_buffers" and key in skip:
                    continue
                seen.add(_id(t))
                out.append((prefix + key, t, store == "_parameters"))
        stack.extend(reversed([(prefix + k + ".", c) for k, c in _children(m)]))
    return out


def _module_meta(mod: Any) -> dict[str, Any]:
    """Layers, parameters (name, shape, count, grad state, identity) and mode of a module."""
    T = _T
    training = _getattr_static(mod, "training", None)
    params = []
    count = 0
    for key, t, is_param in _module_tensors(mod):
        if not is_param:
            continue
        shape = [_int(n) for n in _prop(t, "shape")]
        numel = 1
        for n in shape:
            numel *= n
        count += numel
        grad = _prop(t, "grad")
        nonzero = None
        if grad is not None and _is(grad, T["TensorBase"]):
            plain = _plain_tensor(grad)
            nonzero = _int(T["count_nonzero"](plain)) if plain is not None else None
        params.append(
            {
                "name": key,
                "shape": shape,
                "requires_grad": _bool(_prop(t, "requires_grad")),
                "has_grad": grad is not None,
                "grad_nonzero": nonzero,
                "id": _id(t),
            }
        )
    return {
        "layers": [[k, _type_name(_type(c))] for k, c in _children(mod)],
        "params": params,
        "count": count,
        "training": training if _type(training) is bool else None,
    }


def _optimizer_meta(opt: Any) -> dict[str, Any]:
    """Each param group's numeric hyper-parameters and the identities of its parameters."""
    T = _T
    groups = _getattr_static(opt, "param_groups", None)
    found = []
    for group in _list_copy(groups) if _type(groups) is list else ():
        if _type(group) is not dict:
            continue
        hyper: dict[str, Any] = {}
        ids: list[int] = []
        for key, value in _dict_items(group):
            if _type(key) is not _str:
                continue
            if key == "params":
                items = _list_copy(value) if _type(value) is list else []
                ids = [_id(p) for p in items if _is(p, T["TensorBase"])]
            elif value is None or _type(value) in (bool, int, float):
                hyper[key] = value if value == value else _str(value)
            elif _type(value) is tuple and all(_type(v) in (int, float) for v in value):
                hyper[key] = list(value)
        found.append({"hyper": hyper, "params": ids})
    return {"groups": found}


_INDEX = _re.compile(r"\[(-?\d+)\]")


def _path(name: str) -> list[str | int]:
    """``model[0].weight`` -> ["model", 0, "weight"]; ``losses[-1]`` -> ["losses", -1]."""
    parts: list[str | int] = []
    for piece in name.split("."):
        head = piece.split("[", 1)[0]
        if head:
            parts.append(int(head) if head.lstrip("-").isdigit() and parts else head)
        parts += [_int(i) for i in _INDEX.findall(piece)]
    return parts


def _item(obj: Any, index: int) -> tuple[bool, Any]:
    """``obj[index]`` for a list, a tuple or a module's children, read through base classes."""
    cls = _type(obj)
    if _issubclass(cls, list):
        items: list[Any] = _list_copy(obj)
    elif _issubclass(cls, tuple):
        items = [*_tuple_iter(obj)]
    elif _is(obj, _T.get("Module")):
        items = [c for _, c in _children(obj)]
    else:
        return False, None
    if not -_len(items) <= index < _len(items):
        return False, None
    return True, items[index]
