"""Capture learner values in the worker; load them back in the pristine judge.

Worker side: ``take(namespace, names, dest)`` writes ``dest/meta.json`` (plain
JSON) and ``dest/values.pt`` (a dict of CPU tensors, read back with
``torch.load(weights_only=True)``), so nothing the worker writes is unpickled.
Judge side: ``load(dest) -> dict[str, Value]``.

A *name* is a variable or an attribute path on one (``x``, ``x.grad``).
"""

from __future__ import annotations

import builtins as _builtins
import json as _json
import os as _os
from dataclasses import dataclass
from typing import Any


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


# ---------------------------------------------------------------- worker side
#
# The originals are captured at import time (the worker imports this module
# before any learner code runs), so a learner who replaces builtins or torch
# functions cannot change what the snapshot records.

_isinstance = _builtins.isinstance
_type = _builtins.type
_getattr = _builtins.getattr
_len = _builtins.len
_repr = _builtins.repr
_str = _builtins.str
_open = _builtins.open
_dumps = _json.dumps
_path_join = _os.path.join

_BUILTINS = dict(_builtins.__dict__)
_REPR_LIMIT = 2000
_TENSOR_PROPS = (
    "shape",
    "dtype",
    "device",
    "requires_grad",
    "is_leaf",
    "grad_fn",
    "grad",
    "nbytes",
    "retains_grad",
)


def _capture_torch() -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:  # pragma: no cover - the UI process never calls take()
        return None
    base = torch._C.TensorBase
    found = {name: base.__dict__[name] for name in _TENSOR_PROPS if name in base.__dict__}
    found.update(
        torch=torch,
        Tensor=torch.Tensor,
        save=torch.save,
        tensor=torch.tensor,
        from_numpy=torch.from_numpy,
        detach=base.detach,
        cpu=base.cpu,
        clone=base.clone,
        contiguous=base.contiguous,
        untyped_storage=base.untyped_storage,
        storage_offset=base.storage_offset,
        element_size=base.element_size,
        numel=base.numel,
        tensor_repr=torch.Tensor.__repr__,
        no_tf=torch._C.DisableTorchFunctionSubclass,
        no_grad=torch.no_grad,
    )
    try:
        import numpy

        found["ndarray"] = numpy.ndarray
        found["np_array"] = numpy.array
    except ImportError:  # pragma: no cover
        found["ndarray"] = None
    return found


# Empty where torch is missing: the UI process never takes snapshots.
_T: dict[str, Any] = _capture_torch() or {}


def _prop(t: Any, name: str) -> Any:
    return _T[name].__get__(t)


def _safe_repr(obj: Any) -> str:
    try:
        T = _T
        text = T["tensor_repr"](obj) if _isinstance(obj, T["Tensor"]) else _repr(obj)
    except Exception as exc:  # noqa: BLE001 - a learner object's repr may raise anything
        text = f"<repr failed: {_type(exc).__name__}>"
    return text if _len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + " ..."


def _tensor_meta(t: Any) -> tuple[dict[str, Any], Any]:
    T = _T
    with T["no_tf"]():
        grad_fn = _prop(t, "grad_fn")
        # Reading .grad of a non-leaf warns; such a .grad is None unless retain_grad() was called.
        grad = _prop(t, "grad") if _prop(t, "is_leaf") or _prop(t, "retains_grad") else None
        try:
            storage = T["untyped_storage"](t)
            start = storage.data_ptr()
            nbytes = storage.nbytes()
        except Exception:  # noqa: BLE001 - sparse and meta tensors have no plain storage
            start, nbytes = 0, 0
        device = _prop(t, "device")
        data = T["clone"](T["cpu"](T["detach"](t))) if device.type != "meta" else None
    meta = {
        "shape": [int(n) for n in _prop(t, "shape")],
        "dtype": _str(_prop(t, "dtype")),
        "device": _str(device),
        "requires_grad": bool(_prop(t, "requires_grad")),
        "is_leaf": bool(_prop(t, "is_leaf")),
        "grad_fn": _type(grad_fn).__name__ if grad_fn is not None else None,
        "has_grad": grad is not None,
        "storage": [int(start), int(nbytes)],
    }
    return meta, data


def _describe(name: str, obj: Any) -> tuple[dict[str, Any], Any, Any]:
    """Meta (JSON), data (a CPU tensor or None) and the .grad tensor (or None) of one value."""
    T = _T
    meta: dict[str, Any] = {"name": name, "type_name": _type(obj).__name__, "repr": _safe_repr(obj)}
    if _isinstance(obj, T["Tensor"]):
        tmeta, data = _tensor_meta(obj)
        meta.update(kind="tensor", **tmeta)
        grad = _prop(obj, "grad") if tmeta["has_grad"] else None  # has_grad: leaf or retained
        return meta, data, grad
    if T["ndarray"] is not None and _isinstance(obj, T["ndarray"]):
        iface = obj.__array_interface__
        meta.update(
            kind="ndarray",
            shape=[int(n) for n in obj.shape],
            dtype=_str(obj.dtype),
            device="cpu",
            storage=[int(iface["data"][0]), int(obj.nbytes)],
        )
        return meta, _numeric(lambda: T["from_numpy"](T["np_array"](obj, copy=True))), None
    if obj is None:
        meta["kind"] = "none"
    elif _isinstance(obj, bool):
        meta.update(kind="bool", scalar=obj)
        return meta, _numeric(lambda: T["tensor"](obj)), None
    elif _isinstance(obj, int):
        meta.update(kind="int", scalar=obj if -(2**63) <= obj < 2**63 else _str(obj))
        return meta, _numeric(lambda: T["tensor"](obj)), None
    elif _isinstance(obj, float):
        finite = obj == obj and obj not in (float("inf"), float("-inf"))
        meta.update(kind="float", scalar=obj if finite else _str(obj))  # JSON has no inf/nan
        return meta, _numeric(lambda: T["tensor"](obj, dtype=T["torch"].float64)), None
    elif _isinstance(obj, complex):
        meta.update(kind="complex", scalar=_str(obj))
        return meta, _numeric(lambda: T["tensor"](obj)), None
    elif _isinstance(obj, str):
        meta.update(kind="str", scalar=obj[:100_000])
    elif _isinstance(obj, (list, tuple)):
        meta["kind"] = "list" if _isinstance(obj, list) else "tuple"
        data = _numeric(lambda: T["tensor"](obj))
        if data is not None:
            meta["shape"] = [int(n) for n in _prop(data, "shape")]
        return meta, data, None
    else:
        meta["kind"] = "other"
    return meta, None, None


def _numeric(make: Any) -> Any:
    """A tensor from ``make()``, or None when the value is not numeric."""
    try:
        with _T["no_tf"](), _T["no_grad"]():
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


def _resolve(namespace: dict[str, Any], name: str) -> tuple[bool, Any]:
    root, *attrs = name.split(".")
    if root not in namespace:
        return False, None
    obj = namespace[root]
    for attr in attrs:
        if attr == "grad" and _T and _isinstance(obj, _T["Tensor"]):
            # A non-leaf's .grad warns when read and is None unless retain_grad() was called.
            keep = _prop(obj, "is_leaf") or _prop(obj, "retains_grad")
            obj = _prop(obj, "grad") if keep else None
            continue
        try:
            obj = _getattr(obj, attr)
        except Exception:  # noqa: BLE001 - a missing attribute counts as "missing"
            return False, None
    return True, obj


def take(
    namespace: dict[str, Any], names: list[str] | tuple[str, ...], dest: str
) -> dict[str, Any]:
    """Write the values of ``names`` to ``dest`` (meta.json + values.pt); return the meta.

    A tensor's ``.grad`` is saved too, as ``"<name>.grad"``.
    """
    # torch.save and friends look builtins up when called: give them the originals back
    # for the duration of the snapshot, then leave the learner's namespace as it was.
    learner_builtins = dict(_builtins.__dict__)
    _builtins.__dict__.update(_BUILTINS)
    try:
        return _take(namespace, names, dest)
    finally:
        for key in [k for k in _builtins.__dict__ if k not in learner_builtins]:
            del _builtins.__dict__[key]
        _builtins.__dict__.update(learner_builtins)


def _take(
    namespace: dict[str, Any], names: list[str] | tuple[str, ...], dest: str
) -> dict[str, Any]:
    metas: dict[str, Any] = {}
    tensors: dict[str, Any] = {}
    for name in names:
        found, obj = _resolve(namespace, name)
        if not found:
            metas[name] = {"name": name, "kind": "missing", "type_name": ""}
            continue
        meta, data, grad = _describe(name, obj)
        metas[name] = meta
        if data is not None:
            tensors[name] = data
        if grad is not None and name + ".grad" not in metas:
            gmeta, gdata, _ = _describe(name + ".grad", grad)
            metas[name + ".grad"] = gmeta
            if gdata is not None:
                tensors[name + ".grad"] = gdata
    with _open(_path_join(dest, "meta.json"), "w", encoding="utf-8") as f:
        f.write(_dumps(metas))
    _T["save"](tensors, _path_join(dest, "values.pt"))
    return metas


# ---------------------------------------------------------------- judge side


def load(dest: str) -> dict[str, Value]:
    """Read a snapshot directory written by :func:`take` (tensors with ``weights_only=True``)."""
    import torch

    with open(_path_join(dest, "meta.json"), encoding="utf-8") as f:
        metas = _json.load(f)
    tensors = torch.load(_path_join(dest, "values.pt"), weights_only=True)
    out: dict[str, Value] = {}
    for name, m in metas.items():
        out[name] = Value(
            name=name,
            kind=m.get("kind", "other"),
            type_name=m.get("type_name", ""),
            repr=m.get("repr", ""),
            shape=tuple(m["shape"]) if m.get("shape") is not None else None,
            dtype=m.get("dtype"),
            device=m.get("device"),
            requires_grad=m.get("requires_grad"),
            is_leaf=m.get("is_leaf"),
            grad_fn=m.get("grad_fn"),
            has_grad=m.get("has_grad"),
            storage=tuple(m["storage"]) if m.get("storage") else None,
            scalar=m.get("scalar"),
            data=tensors.get(name),
        )
    return out
