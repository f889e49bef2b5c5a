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

import os as _os
from typing import Any

from tutor.judge import _tree
from tutor.judge._capture import (
    _ALIGN,
    _DESCRIPTORS,
    _MAX_ITEMS,
    _MISSING,
    _T,
    _TENSOR_PROPS,
    _bool,
    _complex_add,
    _dumps,
    _float_value,
    _getattr_static,
    _Guard,
    _int,
    _int_value,
    _is,
    _issubclass,
    _len,
    _list_copy,
    _mmap_new,
    _NotPlain,
    _open,
    _path_join,
    _plain_tensor,
    _prop,
    _str,
    _str_value,
    _tuple_iter,
    _type,
    _type_name,
)
from tutor.judge._objects import (
    _item,
    _json_into,
    _module_meta,
    _module_tensors,
    _optimizer_meta,
    _path,
)
from tutor.judge.snapload import (  # the judge's side, re-exported
    Value,
    drop,
    from_bytes,
    hold,
    load,
    load_fd,
)


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


def _resolve(namespace: dict[str, Any], name: str) -> tuple[bool, Any]:
    root, *attrs = _path(name)
    if root not in namespace:
        return False, None
    obj = namespace[root]
    for attr in attrs:
        if _type(attr) is _int:
            found, obj = _item(obj, _int(attr))
            if not found:
                return False, None
            continue
        if attr == "grad" and _is(obj, _T.get("TensorBase")):
            # A non-leaf's .grad warns when read and is None unless retain_grad() was called.
            keep = _prop(obj, "is_leaf") or _prop(obj, "retains_grad")
            obj = _prop(obj, "grad") if keep else None
            continue
        if attr in _TENSOR_PROPS and _is(obj, _T.get("TensorBase")):
            obj = _prop(obj, attr)  # x.dtype, x.shape ...: torch's own getters, captured
            continue
        found, obj = _static_attr(obj, _str(attr))
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
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], Any]]]:
    """The metas of ``names`` and their data as (holder, plain CPU tensor) pairs: the
    holder (a meta, or a tensor node of a module's or optimizer's tree) gets the data's
    place in the bytes as its ``"data"``."""
    metas: dict[str, Any] = {}
    blobs: list[tuple[dict[str, Any], Any]] = []
    with _Guard():
        for name in names:
            found, obj = _resolve(namespace, name)
            if not found:
                metas[name] = {"name": name, "kind": "missing", "type_name": ""}
                continue
            meta, data, grad = _describe(name, obj)
            metas[name] = meta
            if data is not None:
                blobs.append((meta, data))
            elif meta["kind"] in ("other", "list", "tuple", "dict", "module", "optimizer"):
                _add_tree(meta, obj, blobs)  # for predicates, rebuilt by tutor.judge.rebuild
            if meta["kind"] == "module":  # its state_dict, each tensor as NAME.KEY
                for key, t, _ in _module_tensors(obj):
                    if name + "." + key not in metas:
                        tmeta, tdata, _ = _describe(name + "." + key, t)
                        metas[name + "." + key] = tmeta
                        if tdata is not None:
                            blobs.append((tmeta, tdata))
            if grad is not None and name + ".grad" not in metas:
                gmeta, gdata, _ = _describe(name + ".grad", grad)
                metas[name + ".grad"] = gmeta
                if gdata is not None:
                    blobs.append((gmeta, gdata))
        return metas, _layout(blobs)


def _add_tree(meta: dict[str, Any], obj: Any, blobs: list[tuple[dict[str, Any], Any]]) -> None:
    """A module, optimizer, dict, dtype ... as plain data, for predicates (tutor.judge._tree)."""
    plain = _tree.tree(obj, _tensor_meta)
    if plain is None:
        return
    node, tensors = plain
    meta["tree"] = node
    holders = _tree.tensor_nodes(node)
    blobs.extend((holders[i], data) for i, data in enumerate(tensors))


def _layout(blobs: list[tuple[dict[str, Any], Any]]) -> list[tuple[dict[str, Any], Any]]:
    """Give each blob an aligned offset; return (holder, bytes as a uint8 NumPy array)."""
    T = _T
    offset = 0
    out = []
    for holder, data in blobs:
        raw = T["view"](T["reshape"](data, (-1,)), T["uint8"])
        size = _int(_prop(raw, "shape")[0])
        holder["data"] = {
            "offset": offset,
            "nbytes": size,
            "dtype": _str(_prop(data, "dtype")),
        }
        holder["data"]["shape"] = [_int(n) for n in _prop(data, "shape")]
        out.append((holder, T["numpy"](raw)))
        offset += -(-size // _ALIGN) * _ALIGN
    return out


def write(fd: int, blobs: list[tuple[dict[str, Any], Any]]) -> int:
    """Copy the blobs into the file ``fd`` (already large enough) through a mapping; the size."""
    total = 0
    for holder, _ in blobs:
        d = holder["data"]
        total = max(total, d["offset"] + d["nbytes"])
    if total:
        # A shared mapping of a file the UI sized: RLIMIT_FSIZE limits writes, not this.
        mem = _mmap_new(fd, total)
        try:
            for holder, raw in blobs:
                d = holder["data"]
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
            size = write(fd, blobs)
        finally:
            _os.close(fd)
        with _open(_path_join(dest, "meta.json"), "w", encoding="utf-8") as f:
            f.write(_dumps({"values": metas, "size": size}))
        return metas
    size = write(dest, blobs)  # type: ignore[arg-type]
    return {"values": metas, "size": size}


__all__ = ["Value", "capture", "drop", "from_bytes", "hold", "load", "load_fd", "take", "write"]
