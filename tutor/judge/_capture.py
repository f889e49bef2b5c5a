"""The functions a snapshot is captured with, taken when this module is imported (in the
zygote, before any learner code): builtins, base-class readers, torch's own getters and guards.

A learner who rebinds builtins, torch, NumPy or these modules' globals' targets cannot change
what tutor.judge.snapshot and tutor.judge._objects call.
"""

from __future__ import annotations

import builtins as _builtins
import inspect as _inspect
import json as _json
import mmap as _mmap
import os as _os
import types as _types
from typing import Any

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
