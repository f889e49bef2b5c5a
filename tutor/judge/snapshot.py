"""Capture learner values in the worker as plain data; load them back in the judge.

Worker side: ``take(namespace, names, dest)`` writes the values of ``names``.
Every tensor, array and number becomes raw bytes (a contiguous CPU copy) plus a
JSON description (kind, type name, shape, dtype, device, autograd flags,
storage); ``dest`` is an open file descriptor (what the sandbox uses: a memory
file the UI created) or a folder (``meta.json`` + ``values.bin``, for tests).
Judge side: ``load(dest)`` or ``load_fd(fd, meta)`` -> ``dict[str, Value]``.

No learner code runs while values are captured: the functions used are the
originals captured when this module was imported (before any learner code),
torch functions run with ``__torch_function__`` and ``__torch_dispatch__``
switched off, types are read with ``type()``, subclasses of tensors, arrays,
numbers, strings, lists and tuples are read through their base class, and
nothing is ``repr``-ed in the worker: the judge formats what it shows. Nothing
is pickled either way: the judge rebuilds tensors from bytes.

A *name* is a variable or an attribute path on one (``x``, ``x.grad``).
"""

from __future__ import annotations

import builtins as _builtins
import inspect as _inspect
import json as _json
import mmap as _mmap
import os as _os
import re as _re
import types as _types
from typing import Any

from tutor.judge.snapload import (  # the judge's side, re-exported
    Value,
    drop,
    from_bytes,
    hold,
    load,
    load_fd,
)

# ---------------------------------------------------------------- worker side
#
# Captured at import (the zygote imports this module before any fork), so a
# learner who rebinds builtins, torch, NumPy or this module's globals' targets
# cannot change the functions the capture calls.

_type = _builtins.type
_len = _builtins.len
_int = _builtins.int
_float = _builtins.float
_str = _builtins.str
_bool = _builtins.bool
_issubclass = _builtins.issubclass
_open = _builtins.open
_dumps = _json.dumps
_path_join = _os.path.join
_type_name = _builtins.type.__dict__["__name__"].__get__  # no metaclass __getattribute__
_int_value = _builtins.int.__int__  # a subclass's value, read by the base class
_float_value = _builtins.float.__float__
_str_value = _builtins.str.__str__
_list_copy = _builtins.list.copy
_tuple_iter = _builtins.tuple.__iter__
_complex_add = _builtins.complex.__add__
_mmap_new = _mmap.mmap
_id = _builtins.id
_dict_items = _builtins.dict.items  # a dict subclass's own items() is never called
_getattr_static = _inspect.getattr_static
_DESCRIPTORS = (property, _types.GetSetDescriptorType, _types.MemberDescriptorType)
_MISSING = object()

_ALIGN = 64
_MAX_ITEMS = 10_000_000  # numbers in one list before it is not read as numbers
_MAX_PLAIN = 10_000  # strings, numbers and None in a list or dict read as plain data
_MAX_MODULES = 10_000  # modules walked in one model
_SAFE_REPR = ("dtype", "device", "layout", "memory_format")  # torch types, C reprs
_TENSOR_PROPS = (
    "shape",
    "dtype",
    "device",
    "requires_grad",
    "is_leaf",
    "grad_fn",
    "grad",
    "retains_grad",
    "layout",
)


class _NotPlain(Exception):
    """A list holds something that is not a number, a tensor or a list of them."""


def _capture_torch() -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:  # pragma: no cover - the UI process never calls take()
        return None
    base = torch._C.TensorBase
    found = {name: base.__dict__[name] for name in _TENSOR_PROPS if name in base.__dict__}
    found.update(
        torch=torch,
        TensorBase=base,
        tensor=torch.tensor,
        from_numpy=torch.from_numpy,
        uint8=torch.uint8,
        float64=torch.float64,
        detach=base.detach,
        cpu=base.cpu,
        contiguous=base.contiguous,
        reshape=base.reshape,
        view=base.view,
        numpy=base.numpy,
        resolve_conj=base.resolve_conj,
        resolve_neg=base.resolve_neg,
        to_dense=base.to_dense,
        untyped_storage=base.untyped_storage,
        data_ptr=torch._C.StorageBase.data_ptr,  # type: ignore[attr-defined]
        storage_nbytes=torch._C.StorageBase.nbytes,  # type: ignore[attr-defined]
        no_tf=torch._C.DisableTorchFunction,
        no_dispatch=torch._C._DisableTorchDispatch,
        no_grad=torch.no_grad,
        dtype_type=torch.dtype,
        safe_types=tuple(getattr(torch, n) for n in _SAFE_REPR),
        Module=torch.nn.Module,
        Optimizer=torch.optim.Optimizer,
        count_nonzero=torch.count_nonzero,
    )
    try:
        import numpy

        found["ndarray"] = numpy.ndarray
        found["np_array"] = numpy.array
        found["nd"] = {k: numpy.ndarray.__dict__[k] for k in ("shape", "dtype", "nbytes")}
        found["nd_iface"] = numpy.ndarray.__dict__["__array_interface__"]
        found["np_object"] = numpy.dtype(object)
    except ImportError:  # pragma: no cover
        found["ndarray"] = None
    return found


# Empty where torch is missing: the UI process never takes snapshots.
_T: dict[str, Any] = _capture_torch() or {}


def _prop(t: Any, name: str) -> Any:
    return _T[name].__get__(t)


def _is(obj: Any, cls: Any) -> bool:
    # issubclass on type(obj): isinstance would consult a learner's __class__ property.
    return cls is not None and _issubclass(_type(obj), cls)


class _Guard:
    """No __torch_function__ (subclasses and modes), no __torch_dispatch__, no autograd."""

    def __enter__(self) -> None:
        T = _T
        self._stack = [T["no_tf"](), T["no_dispatch"](), T["no_grad"]()]
        for guard in self._stack:
            guard.__enter__()

    def __exit__(self, *exc: object) -> None:
        for guard in reversed(self._stack):
            guard.__exit__(None, None, None)


def _plain_tensor(t: Any) -> Any:
    """A contiguous CPU tensor of torch's own class with ``t``'s values (None: meta)."""
    T = _T
    if _str(_prop(t, "device").type) == "meta":
        return None
    d = T["detach"](t)
    if _str(_prop(d, "layout")) != "torch.strided":
        d = T["to_dense"](d)
    d = T["resolve_neg"](T["resolve_conj"](T["cpu"](d)))
    return T["contiguous"](d)


def _tensor_meta(t: Any) -> tuple[dict[str, Any], Any, Any]:
    T = _T
    grad_fn = _prop(t, "grad_fn")
    # Reading .grad of a non-leaf warns; such a .grad is None unless retain_grad() was called.
    is_leaf = _bool(_prop(t, "is_leaf"))
    grad = _prop(t, "grad") if is_leaf or _prop(t, "retains_grad") else None
    try:
        storage = T["untyped_storage"](t)
        start, nbytes = T["data_ptr"](storage), T["storage_nbytes"](storage)
    except Exception:  # noqa: BLE001 - sparse and meta tensors have no plain storage
        start, nbytes = 0, 0
    try:
        data = _plain_tensor(t)
    except Exception:  # noqa: BLE001 - e.g. a wrapper subclass with no data of its own
        data = None
    meta = {
        "kind": "tensor",
        "shape": [_int(n) for n in _prop(t, "shape")],
        "dtype": _str(_prop(t, "dtype")),
        "device": _str(_prop(t, "device")),
        "requires_grad": _bool(_prop(t, "requires_grad")),
        "is_leaf": is_leaf,
        "grad_fn": _type_name(_type(grad_fn)) if grad_fn is not None else None,
        "has_grad": grad is not None,
        "storage": [_int(start), _int(nbytes)],
    }
    return meta, data, grad


def _array_meta(a: Any) -> tuple[dict[str, Any], Any]:
    T = _T
    nd = T["nd"]
    dtype = nd["dtype"].__get__(a)
    meta = {
        "kind": "ndarray",
        "shape": [_int(n) for n in nd["shape"].__get__(a)],
        "dtype": _str(dtype),
        "device": "cpu",
        "storage": [_int(T["nd_iface"].__get__(a)["data"][0]), _int(nd["nbytes"].__get__(a))],
    }
    if dtype == T["np_object"]:
        return meta, None  # an array of Python objects: not numbers
    copy = T["np_array"](a, copy=True, subok=False)  # the base class: no __array_finalize__
    return meta, _numeric(lambda: T["from_numpy"](copy))


def _plain(obj: Any, budget: list[int], depth: int = 0) -> Any:
    """``obj`` as plain Python numbers, lists and plain tensors; raise _NotPlain otherwise."""
    T = _T
    budget[0] -= 1
    if budget[0] < 0 or depth > 32:
        raise _NotPlain
    cls = _type(obj)
    if cls is bool or cls is int or cls is float or cls is complex:
        return obj
    if _issubclass(cls, bool):
        return obj
    if _issubclass(cls, int):
        return _int_value(obj)
    if _issubclass(cls, float):
        return _float_value(obj)
    if _issubclass(cls, complex):
        return _complex_add(obj, 0)
    if _issubclass(cls, list):
        return [_plain(item, budget, depth + 1) for item in _list_copy(obj)]
    if _issubclass(cls, tuple):
        return [_plain(item, budget, depth + 1) for item in _tuple_iter(obj)]
    if _is(obj, T["TensorBase"]):
        plain = _plain_tensor(obj)
        if plain is None:
            raise _NotPlain
        return plain
    raise _NotPlain


def _numeric(make: Any) -> Any:
    """A tensor from ``make()``, or None when the value is not numeric."""
    try:
        t = make()
        dtype = _prop(t, "dtype")
        if dtype.is_floating_point or dtype.is_complex or _str(dtype) in _INT_DTYPES:
            return t
    except Exception:  # noqa: BLE001 - any non-numeric content
        return None
    return None


_INT_DTYPES = {
    "torch.int8",
    "torch.int16",
    "torch.int32",
    "torch.int64",
    "torch.uint8",
    "torch.bool",
}


def _describe(name: str, obj: Any) -> tuple[dict[str, Any], Any, Any]:
    """Meta (JSON), data (a plain CPU tensor or None) and the .grad (or None) of one value."""
    T = _T
    cls = _type(obj)
    meta: dict[str, Any] = {"name": name, "type_name": _type_name(cls)}
    if _is(obj, T["TensorBase"]):
        tmeta, data, grad = _tensor_meta(obj)
        meta.update(tmeta)
        return meta, data, grad
    if _is(obj, T["ndarray"]):
        ameta, data = _array_meta(obj)
        meta.update(ameta)
        return meta, data, None
    if obj is None:
        meta["kind"] = "none"
    elif cls is bool:
        meta.update(kind="bool", scalar=obj)
        return meta, _numeric(lambda: T["tensor"](obj)), None
    elif _issubclass(cls, int) and not _issubclass(cls, bool):
        value: Any = _int_value(obj)
        meta.update(kind="int", scalar=value if -(2**63) <= value < 2**63 else _str(value))
        return meta, _numeric(lambda: T["tensor"](value)), None
    elif _issubclass(cls, float):
        value = _float_value(obj)
        finite = value == value and value not in (float("inf"), float("-inf"))
        meta.update(kind="float", scalar=value if finite else _str(value))  # JSON: no inf/nan
        return meta, _numeric(lambda: T["tensor"](value, dtype=T["float64"])), None
    elif _issubclass(cls, complex):
        value = _complex_add(obj, 0)
        meta.update(kind="complex", scalar=_str(value))
        return meta, _numeric(lambda: T["tensor"](value)), None
    elif _issubclass(cls, str):
        meta.update(kind="str", scalar=_str_value(obj)[:100_000])
    elif _issubclass(cls, (list, tuple)):
        meta["kind"] = "list" if _issubclass(cls, list) else "tuple"
        try:
            plain = _plain(obj, [_MAX_ITEMS])
        except (_NotPlain, RecursionError):
            _json_into(meta, obj)  # strings, or numbers mixed with strings: plain data
            return meta, None, None
        data = _numeric(lambda: T["tensor"](plain))
        if data is not None:
            meta["shape"] = [_int(n) for n in _prop(data, "shape")]
        return meta, data, None
    elif _issubclass(cls, dict):
        meta["kind"] = "dict"
        _json_into(meta, obj)
    elif _is(obj, T["Module"]):
        meta.update(kind="module", module=_module_meta(obj))
    elif _is(obj, T["Optimizer"]):
        meta.update(kind="optimizer", optimizer=_optimizer_meta(obj))
    else:
        meta["kind"] = "other"
        if any(cls is safe for safe in T["safe_types"]):
            meta["repr"] = _str(obj)  # torch.float32, cpu: torch's own C types
    return meta, None, None


def _json_into(meta: dict[str, Any], obj: Any) -> None:
    """``meta["plain"]``: a list, tuple or dict of strings, numbers, bools and None, read
    through the base classes (no learner method runs); left out when it holds anything else."""
    try:
        meta["plain"] = _json(obj, [_MAX_PLAIN], 0)
    except (_NotPlain, RecursionError):
        pass


def _json(obj: Any, budget: list[int], depth: int) -> Any:
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
        value = _float_value(obj)
        finite = value == value and value not in (float("inf"), float("-inf"))
        return value if finite else _str(value)
    if _issubclass(cls, str):
        return _str_value(obj)[:10_000]
    if _issubclass(cls, list):
        return [_json(item, budget, depth + 1) for item in _list_copy(obj)]
    if _issubclass(cls, tuple):
        return [_json(item, budget, depth + 1) for item in _tuple_iter(obj)]
    if _issubclass(cls, dict):
        out = {}
        for key, item in _dict_items(obj):
            if not _issubclass(_type(key), str):
                raise _NotPlain
            out[_str_value(key)] = _json(item, budget, depth + 1)
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


def _resolve(namespace: dict[str, Any], name: str) -> tuple[bool, Any]:
    root, *attrs = _path(name)
    if root not in namespace:
        return False, None
    obj = namespace[root]
    for attr in attrs:
        if _type(attr) is _int:
            found, obj = _item(obj, attr)  # type: ignore[arg-type]
            if not found:
                return False, None
            continue
        assert isinstance(attr, str)
        if attr == "grad" and _is(obj, _T.get("TensorBase")):
            # A non-leaf's .grad warns when read and is None unless retain_grad() was called.
            keep = _prop(obj, "is_leaf") or _prop(obj, "retains_grad")
            obj = _prop(obj, "grad") if keep else None
            continue
        found, obj = _static_attr(obj, attr)
        if not found:
            return False, None
    return True, obj


def _static_attr(obj: Any, attr: str) -> tuple[bool, Any]:
    """``obj.attr`` found without running a property or ``__getattr__`` (a module's parameters
    and submodules included); (False, None) when only code could produce it."""
    try:
        value = _getattr_static(obj, attr)
    except AttributeError:
        value = _MISSING
    if value is not _MISSING and not _issubclass(_type(value), _DESCRIPTORS):
        return True, value
    for store in ("_parameters", "_buffers", "_modules"):  # torch.nn.Module keeps them here
        try:
            table = _getattr_static(obj, store)
        except AttributeError:
            continue
        if _type(table) is dict and attr in table:
            return True, table[attr]
    return False, None


def capture(
    namespace: dict[str, Any], names: list[str] | tuple[str, ...]
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The metas of ``names`` and their data as (name, plain CPU tensor) pairs."""
    metas: dict[str, Any] = {}
    blobs: list[tuple[str, Any]] = []
    with _Guard():
        for name in names:
            found, obj = _resolve(namespace, name)
            if not found:
                metas[name] = {"name": name, "kind": "missing", "type_name": ""}
                continue
            meta, data, grad = _describe(name, obj)
            metas[name] = meta
            if data is not None:
                blobs.append((name, data))
            if meta["kind"] == "module":  # its state_dict, each tensor as NAME.KEY
                for key, t, _ in _module_tensors(obj):
                    if name + "." + key not in metas:
                        tmeta, tdata, _ = _describe(name + "." + key, t)
                        metas[name + "." + key] = tmeta
                        if tdata is not None:
                            blobs.append((name + "." + key, tdata))
            if grad is not None and name + ".grad" not in metas:
                gmeta, gdata, _ = _describe(name + ".grad", grad)
                metas[name + ".grad"] = gmeta
                if gdata is not None:
                    blobs.append((name + ".grad", gdata))
        return metas, _layout(metas, blobs)


def _layout(metas: dict[str, Any], blobs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Give each blob an aligned offset; return (name, bytes as a uint8 NumPy array)."""
    T = _T
    offset = 0
    out = []
    for name, data in blobs:
        raw = T["view"](T["reshape"](data, (-1,)), T["uint8"])
        size = _int(_prop(raw, "shape")[0])
        metas[name]["data"] = {
            "offset": offset,
            "nbytes": size,
            "dtype": _str(_prop(data, "dtype")),
        }
        metas[name]["data"]["shape"] = [_int(n) for n in _prop(data, "shape")]
        out.append((name, T["numpy"](raw)))
        offset += -(-size // _ALIGN) * _ALIGN
    return out


def write(fd: int, metas: dict[str, Any], blobs: list[tuple[str, Any]]) -> int:
    """Copy the blobs into the file ``fd`` (already large enough) through a mapping; the size."""
    total = 0
    for name, _ in blobs:
        d = metas[name]["data"]
        total = max(total, d["offset"] + d["nbytes"])
    if total:
        # A shared mapping of a file the UI sized: RLIMIT_FSIZE limits writes, not this.
        mem = _mmap_new(fd, total)
        try:
            for name, raw in blobs:
                d = metas[name]["data"]
                mem[d["offset"] : d["offset"] + d["nbytes"]] = raw
        finally:
            mem.close()
    return total


def take(
    namespace: dict[str, Any], names: list[str] | tuple[str, ...], dest: int | str
) -> dict[str, Any]:
    """Capture ``names`` into ``dest`` (a file descriptor, or a folder); return the metas.

    A tensor's ``.grad`` is captured too, as ``"<name>.grad"``. The metas carry
    ``"size"``, the bytes written.
    """
    metas, blobs = capture(namespace, names)
    if _type(dest) is _str:
        path = _path_join(dest, "values.bin")
        fd = _os.open(path, _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC)
        try:
            _os.ftruncate(fd, sum(-(-_len(raw) // _ALIGN) * _ALIGN for _, raw in blobs))
            size = write(fd, metas, blobs)
        finally:
            _os.close(fd)
        with _open(_path_join(dest, "meta.json"), "w", encoding="utf-8") as f:
            f.write(_dumps({"values": metas, "size": size}))
        return metas
    size = write(dest, metas, blobs)  # type: ignore[arg-type]
    return {"values": metas, "size": size}


__all__ = ["Value", "capture", "drop", "from_bytes", "hold", "load", "load_fd", "take", "write"]
