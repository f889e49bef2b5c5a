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
import types as _types
from dataclasses import dataclass, replace
from typing import Any

from tutor.judge import _tree


@dataclass(frozen=True)
class Value:
    """What the judge knows about one learner (or reference) value.

    kind: "tensor", "ndarray", "list", "tuple", "int", "float", "bool",
          "complex", "str", "none", "missing" (name not defined), "other".
    data: a CPU tensor holding the values (tensors, ndarrays, numeric
          lists/tuples and numbers), else None.
    storage: (address, nbytes) of the memory behind a tensor or ndarray,
          as seen in the worker, for shared-memory checks.
    """

    name: str
    kind: str
    type_name: str
    repr: str = ""
    shape: tuple[int, ...] | None = None
    dtype: str | None = None  # "torch.float32", or a NumPy dtype name for arrays
    device: str | None = None  # "cpu", "cuda:0", "mps:0"
    requires_grad: bool | None = None
    is_leaf: bool | None = None
    grad_fn: str | None = None  # e.g. "MulBackward0"
    has_grad: bool | None = None  # .grad is not None
    storage: tuple[int, int] | None = None
    scalar: Any = None  # the Python value for numbers, bools, strings
    data: Any = None  # torch.Tensor on the judge side
    # A module, optimizer, dict, dtype ... as plain data for predicates: (JSON tree, tensors)
    # that tutor.judge.rebuild makes an object again; None for values read otherwise.
    tree: Any = None


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
_getattr_static = _inspect.getattr_static
_DESCRIPTORS = (property, _types.GetSetDescriptorType, _types.MemberDescriptorType)
_MISSING = object()

_ALIGN = 64
_MAX_ITEMS = 10_000_000  # numbers in one list before it is not read as numbers
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
            return meta, None, None
        data = _numeric(lambda: T["tensor"](plain))
        if data is not None:
            meta["shape"] = [_int(n) for n in _prop(data, "shape")]
        return meta, data, None
    else:
        meta["kind"] = "other"
        if any(cls is safe for safe in T["safe_types"]):
            meta["repr"] = _str(obj)  # torch.float32, cpu: torch's own C types
    return meta, None, None


def _resolve(namespace: dict[str, Any], name: str) -> tuple[bool, Any]:
    root, *attrs = name.split(".")
    if root not in namespace:
        return False, None
    obj = namespace[root]
    for attr in attrs:
        if attr == "grad" and _is(obj, _T.get("TensorBase")):
            # A non-leaf's .grad warns when read and is None unless retain_grad() was called.
            keep = _prop(obj, "is_leaf") or _prop(obj, "retains_grad")
            obj = _prop(obj, "grad") if keep else None
            continue
        if attr in _TENSOR_PROPS and _is(obj, _T.get("TensorBase")):
            obj = _prop(obj, attr)  # x.dtype, x.shape ...: torch's own getters, captured
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
            elif meta["kind"] in ("other", "list", "tuple"):
                _add_tree(meta, obj, blobs)
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


# ---------------------------------------------------------------- judge side


def load(dest: str) -> dict[str, Value]:
    """Read a snapshot: a folder written by :func:`take`, or a token of a held snapshot."""
    if dest in _HELD:
        return _HELD[dest]
    with open(_path_join(dest, "meta.json"), encoding="utf-8") as f:
        meta = _json.load(f)
    with open(_path_join(dest, "values.bin"), "rb") as f:
        return from_bytes(meta, f.read())


def load_fd(fd: int, meta: dict[str, Any]) -> dict[str, Value]:
    """Read a snapshot from a file descriptor the worker wrote and ``meta`` it answered with."""
    size = int(meta.get("size") or 0)
    data = _os.pread(fd, size, 0) if size else b""
    if len(data) != size:
        raise ValueError(f"the snapshot holds {len(data)} bytes, not {size}")
    return from_bytes(meta, data)


_HELD: dict[str, dict[str, Value]] = {}  # judge side: snapshots held by token


def hold(token: str, values: dict[str, Value]) -> None:
    """Keep ``values`` under ``token`` so ``load(token)`` finds them (the judge's store)."""
    _HELD[token] = values


def drop(token: str) -> None:
    _HELD.pop(token, None)


def from_bytes(meta: dict[str, Any], raw: bytes) -> dict[str, Value]:
    """Rebuild Values from metas and raw bytes, checking every offset and size (untrusted)."""
    import torch

    buffer = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else None
    out: dict[str, Value] = {}
    for name, m in dict(meta.get("values") or {}).items():
        data = _tensor_from(m.get("data"), buffer, torch) if isinstance(m, dict) else None
        value = _value(str(name), m if isinstance(m, dict) else {}, data)
        if isinstance(m, dict) and isinstance(m.get("tree"), dict):
            value = replace(value, tree=_tree_from(m["tree"], buffer, torch))
        out[str(name)] = value
    return out


def _tree_from(node: dict[str, Any], buffer: Any, torch: Any) -> tuple[dict[str, Any], list[Any]]:
    """A tree's tensors read back (checked like any other), in the order its nodes number
    them; tutor.judge.rebuild makes the object when a predicate needs it."""
    holders = _tree.tensor_nodes(node)
    tensors = [_tensor_from(holder.get("data"), buffer, torch) for holder in holders]
    if any(t is None for t in tensors):
        raise ValueError("a snapshot's tree lacks a tensor")
    return node, tensors


def _tensor_from(spec: Any, buffer: Any, torch: Any) -> Any:
    if not isinstance(spec, dict) or buffer is None:
        return None
    dtype = getattr(torch, str(spec.get("dtype", "")).removeprefix("torch."), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"not a dtype: {spec.get('dtype')!r}")
    offset, nbytes = int(spec["offset"]), int(spec["nbytes"])
    shape = [int(n) for n in spec["shape"]]
    count = 1
    for n in shape:
        count *= n
    itemsize = torch.empty((), dtype=dtype).element_size()
    if offset < 0 or offset % _ALIGN or nbytes != count * itemsize or offset + nbytes > len(buffer):
        raise ValueError("a snapshot's sizes do not add up")
    return buffer[offset : offset + nbytes].view(dtype).reshape(shape).clone()


def _value(name: str, m: dict[str, Any], data: Any) -> Value:
    kind = str(m.get("kind", "other"))
    shown = m.get("repr", "")
    if data is not None and kind in ("tensor", "ndarray"):
        shown = repr(data)
    elif not shown and kind == "other":
        shown = f"<{m.get('type_name', '')} object>"
    return Value(
        name=name,
        kind=kind,
        type_name=str(m.get("type_name", "")),
        repr=str(shown)[:2000],
        shape=tuple(m["shape"]) if m.get("shape") is not None else None,
        dtype=m.get("dtype"),
        device=m.get("device"),
        requires_grad=m.get("requires_grad"),
        is_leaf=m.get("is_leaf"),
        grad_fn=m.get("grad_fn"),
        has_grad=m.get("has_grad"),
        storage=tuple(m["storage"]) if m.get("storage") else None,
        scalar=m.get("scalar"),
        data=data,
    )
