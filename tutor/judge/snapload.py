"""The judge's side of a snapshot: rebuild ``Value`` objects from the worker's JSON and bytes.

Everything here distrusts what it reads: offsets, sizes and dtypes are checked, nothing is
unpickled. ``tutor.judge.snapshot`` (the worker's side) re-exports these names.
"""

from __future__ import annotations

import json as _json
import os as _os
from dataclasses import dataclass, replace
from typing import Any

from tutor.judge import _tree

_ALIGN = 64
_path_join = _os.path.join


@dataclass(frozen=True)
class Value:
    """What the judge knows about one learner (or reference) value.

    kind: "tensor", "ndarray", "list", "tuple", "dict", "int", "float", "bool",
          "complex", "str", "none", "module", "optimizer", "missing" (name not
          defined), "other".
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
    plain: Any = None  # a list or dict of strings, numbers, bools and None, as JSON data
    module: dict[str, Any] | None = None  # an nn.Module: layers, params, count, training
    optimizer: dict[str, Any] | None = None  # an optimizer: groups of hyper-parameters, params
    # A module, optimizer, dict, dtype ... as plain data for predicates: (JSON tree, tensors)
    # that tutor.judge.rebuild makes an object again; None for values read otherwise.
    tree: Any = None


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
    elif kind == "module":
        layers = ", ".join(str(c[1]) for c in _rows(_dict(m.get("module")).get("layers")))
        shown = f"{m.get('type_name', '')}({layers})"
    elif kind == "optimizer":
        groups = _rows(_dict(m.get("optimizer")).get("groups"))
        lr = _dict(groups[0]).get("hyper", {}).get("lr") if groups else None
        shown = f"{m.get('type_name', '')}(lr={lr})"
    elif m.get("plain") is not None:
        shown = repr(m["plain"])
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
        plain=m.get("plain") if kind in ("list", "tuple", "dict") else None,
        module=_module(m.get("module")) if kind == "module" else None,
        optimizer=_optimizer(m.get("optimizer")) if kind == "optimizer" else None,
    )


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _rows(x: Any) -> list[Any]:
    return [r for r in x if isinstance(r, (list, dict))] if isinstance(x, list) else []


def _module(raw: Any) -> dict[str, Any]:
    """A module's description from the worker, kept to the types the checks read (untrusted)."""
    m = _dict(raw)
    params = []
    for p in _rows(m.get("params")):
        p = _dict(p)
        if isinstance(p.get("name"), str) and isinstance(p.get("shape"), list):
            params.append(
                {
                    "name": p["name"],
                    "shape": tuple(int(n) for n in p["shape"]),
                    "has_grad": bool(p.get("has_grad")),
                    "grad_nonzero": p.get("grad_nonzero")
                    if isinstance(p.get("grad_nonzero"), int)
                    else None,
                    "id": int(p.get("id") or 0),
                }
            )
    return {
        "layers": [(str(r[0]), str(r[1])) for r in _rows(m.get("layers")) if len(r) == 2],
        "params": params,
        "count": int(m.get("count") or 0),
        "training": m.get("training") if isinstance(m.get("training"), bool) else None,
    }


def _optimizer(raw: Any) -> dict[str, Any]:
    groups = []
    for g in _rows(_dict(raw).get("groups")):
        g = _dict(g)
        hyper = {str(k): v for k, v in _dict(g.get("hyper")).items()}
        ids = [int(i) for i in g.get("params") or () if isinstance(i, int)]
        groups.append({"hyper": hyper, "params": ids})
    return {"groups": groups}
