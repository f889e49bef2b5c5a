"""Worker-side helpers the UI calls with ``sb.call(op, **kwargs)``.

complete, inspect, vars, value, env and graph. They read the live namespace without
running learner code where they can: attribute chains are followed with
``inspect.getattr_static`` so no property or ``__getattr__`` is evaluated.
"""

from __future__ import annotations

import builtins
import inspect as _inspect
import keyword
import platform
import re
import types
from collections.abc import Callable
from typing import Any

_OPS: dict[str, Callable[..., Any]] = {}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\.?$")
_MAX_COMPLETIONS = 200
_MISSING = object()


def op(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a helper under ``name``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _OPS[name] = func
        return func

    return register


def dispatch(name: str, worker: Any, kwargs: dict[str, Any]) -> Any:
    """Run the helper ``name`` for ``worker`` (which has ``namespace`` and ``device``)."""
    if name not in _OPS:
        raise KeyError(f"no helper named {name!r}; known: {', '.join(sorted(_OPS))}")
    return _OPS[name](worker, **kwargs)


def names() -> list[str]:
    """Return the registered helper names."""
    return sorted(_OPS)


@op("complete")
def complete(worker: Any, text: str) -> list[str]:
    """Return completions for the dotted name at the end of ``text``."""
    match = _WORD.search(text)
    if not match:
        return []
    word = match.group(0)
    base, dot, prefix = word.rpartition(".")
    if not dot:
        pool = set(worker.namespace) | set(dir(builtins)) | set(keyword.kwlist)
        return _matching(pool, prefix, "")
    obj = lookup(worker.namespace, base)
    if obj is _MISSING:
        return []
    try:
        pool = set(dir(obj))
    except Exception:  # noqa: BLE001 - a learner __dir__ may fail
        return []
    return _matching(pool, prefix, base + ".")


def _matching(pool: set[str], prefix: str, head: str) -> list[str]:
    hidden = not prefix.startswith("_")
    found = sorted(n for n in pool if n.startswith(prefix) and not (hidden and n.startswith("_")))
    return [head + n for n in found[:_MAX_COMPLETIONS]]


def lookup(namespace: dict[str, Any], dotted: str) -> Any:
    """Follow ``a.b.c`` from the namespace without evaluating properties; _MISSING if absent."""
    first, *rest = dotted.split(".")
    if first in namespace:
        obj = namespace[first]
    elif hasattr(builtins, first):
        obj = getattr(builtins, first)
    else:
        return _MISSING
    for part in rest:
        try:
            obj = _inspect.getattr_static(obj, part)
        except AttributeError:
            return _MISSING
        # A descriptor found on a class stands for a value we refuse to compute.
        if isinstance(obj, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
            return _MISSING
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
    return obj


@op("inspect")
def inspect_name(worker: Any, name: str) -> dict[str, Any]:
    """Return the signature and docstring of ``name`` (for ``?torch.arange``)."""
    obj = lookup(worker.namespace, name.strip().lstrip("?").strip())
    if obj is _MISSING:
        return {"found": False, "name": name, "signature": "", "doc": ""}
    doc = _inspect.getdoc(obj) or ""
    return {
        "found": True,
        "name": name,
        "signature": _signature(name, obj, doc),
        "doc": doc,
        "type": type(obj).__name__,
        "canonical": canonical(obj),
    }


# Where torch defines things, and the name it documents them under.
_PUBLIC = (
    ("torch.nn.modules.", "torch.nn."),
    ("torch.nn.parameter", "torch.nn."),
    ("torch.optim.", "torch.optim."),
    ("torch.utils.data.", "torch.utils.data."),
    ("torch.serialization", "torch."),
    ("torch.random", "torch."),
    ("torch.functional", "torch."),
    ("torch.autograd.grad_mode", "torch."),
)


def canonical(obj: Any) -> str:
    """The name torch documents ``obj`` under, however it was reached: ``torch.arange``,
    ``Tensor.add_`` (for ``x.add_`` too), ``torch.nn.Linear``, ``torch.nn.Module.parameters``
    (for ``model.parameters``); "" for an object with no name (a value)."""
    func = getattr(obj, "__func__", obj)
    qual = getattr(func, "__qualname__", None)
    if not isinstance(qual, str):
        return ""
    head, _, rest = qual.partition(".")
    if head == "_VariableFunctionsClass":
        return "torch." + rest
    if head in ("TensorBase", "Tensor") and rest:
        return "Tensor." + rest
    module = getattr(func, "__module__", None) or ""
    if module == "torch._tensor":
        return qual
    for where, public in _PUBLIC:
        if module.startswith(where):
            return public + qual
    return f"{module}.{qual}" if module else qual


def _signature(name: str, obj: Any, doc: str) -> str:
    try:
        return name + str(_inspect.signature(obj))
    except (TypeError, ValueError):
        pass
    # torch's C functions document their signature on the docstring's first line.
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    return first if "(" in first else ""


@op("vars")
def user_vars(worker: Any) -> list[dict[str, Any]]:
    """Describe the learner's variables: name, type, shape, dtype, device, requires_grad."""
    return [_row(key, value) for key, value in worker.namespace.items() if _is_users(key, value)]


def _is_users(key: str, value: Any) -> bool:
    """A variable of the learner's (not torch, the tutor's ``device`` or an imported module)."""
    return not (
        key.startswith("_") or key in ("torch", "device") or isinstance(value, types.ModuleType)
    )


def _row(key: str, value: Any) -> dict[str, Any]:
    import torch

    row: dict[str, Any] = {
        "name": key,
        "type": type(value).__name__,
        "shape": None,
        "dtype": None,
        "device": None,
        "requires_grad": None,
    }
    if isinstance(value, torch.Tensor):
        row.update(
            shape=list(value.shape),
            dtype=str(value.dtype),
            device=str(value.device),
            requires_grad=bool(value.requires_grad),
        )
    elif type(value).__module__ == "numpy" and hasattr(type(value), "shape"):
        row.update(shape=list(value.shape), dtype=str(value.dtype), device="cpu")
    return row


# ``/vars NAME`` shows at most this much of a value: a screenful, however big the tensor.
VALUE_LINES = 20
VALUE_CHARS = 2400
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


@op("value")
def value_of(worker: Any, name: str, width: int = 76) -> dict[str, Any]:
    """``/vars NAME``: one variable (or an attribute path, ``x.grad``) with its value, cut to
    a screenful (a tensor summarised by torch's own ``...``, every value of it counted and its
    smallest, largest and mean given), or the names there are when it does not exist."""
    users = [key for key, value in worker.namespace.items() if _is_users(key, value)]
    value = _follow(worker.namespace, name.strip()) if _PATH.match(name.strip()) else _MISSING
    if value is _MISSING:
        return {"found": False, "name": name, "names": users}
    text, stats = _shown(value, max(width, 40))
    lines = text.splitlines() or [""]
    hidden = max(len(lines) - VALUE_LINES, 0)
    text = "\n".join(lines[:VALUE_LINES])
    if len(text) > VALUE_CHARS:
        text = text[:VALUE_CHARS] + "…"
    return {
        "found": True,
        "name": name.strip(),
        "row": _row(name.strip(), value),
        "value": text,
        "hidden_lines": hidden,
        "stats": stats,
    }


def _follow(namespace: dict[str, Any], dotted: str) -> Any:
    """``a.b.c`` from the learner's variables. Attributes of torch, NumPy and built-in objects
    are read as Python reads them (``x.grad``, ``x.T``); a learner's own class only statically,
    so no code of theirs runs for a look-up."""
    first, *rest = dotted.split(".")
    if first not in namespace or not _is_users(first, namespace[first]):
        return _MISSING
    obj = namespace[first]
    for part in rest:
        module = type(obj).__module__ or ""
        try:
            if module.split(".")[0] in ("torch", "numpy", "builtins"):
                obj = getattr(obj, part)
                continue
            obj = _inspect.getattr_static(obj, part)
        except Exception:  # noqa: BLE001 - any failure to read it means "no such value"
            return _MISSING
        if isinstance(obj, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
            return _MISSING
    return obj


def _shown(value: Any, width: int) -> tuple[str, dict[str, Any]]:
    """The value as Python shows it, summarised where it is big; the counts for a tensor."""
    import reprlib

    import torch

    if isinstance(value, torch.Tensor):
        with torch._tensor_str.printoptions(threshold=120, edgeitems=3, linewidth=width):
            text = repr(value)
        return text, _tensor_stats(value)
    if type(value).__module__ == "numpy" and hasattr(value, "shape"):
        import numpy as np

        with np.printoptions(threshold=120, edgeitems=3, linewidth=width):
            return repr(value), {"numel": int(getattr(value, "size", 0))}
    if isinstance(value, torch.nn.Module):
        return repr(value), {}
    if type(value).__module__ == "builtins":
        # A list of a million or a string of ten million: summarised without being built.
        short = reprlib.Repr()
        short.maxlist = short.maxtuple = short.maxset = short.maxdict = 12
        short.maxstring, short.maxother = 600, VALUE_CHARS
        short.maxlevel = 3
        return short.repr(value), {}
    try:
        return repr(value), {}
    except Exception as exc:  # noqa: BLE001 - a learner __repr__ that fails
        return f"<{type(value).__name__}: repr() failed: {type(exc).__name__}: {exc}>", {}


def _tensor_stats(value: Any) -> dict[str, Any]:
    """How many numbers, and (for more than one real number) the smallest, largest and mean."""
    import torch

    stats: dict[str, Any] = {"numel": int(value.numel())}
    if value.numel() < 2 or value.is_meta or value.is_complex() or value.dtype == torch.bool:
        return stats
    data = value.detach()
    stats["min"] = _number(data.min().item())
    stats["max"] = _number(data.max().item())
    if data.is_floating_point():
        stats["mean"] = _number(data.mean().item())
    return stats


def _number(x: float | int) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


@op("shapes")
def shapes(worker: Any) -> dict[str, Any]:
    """The last input's computation, op by op with shapes (tutor.sandbox.shapetrace)."""
    return dict(worker.shapes.entries(worker.namespace))


_MAX_SERIES = 100_000


def _series_of(value: Any) -> list[float] | None:
    """A 1-D tensor or array, or a list/tuple of numbers (or one-element tensors), as floats."""
    import torch

    if isinstance(value, torch.Tensor):
        if value.dim() != 1 or value.is_complex() or value.numel() > _MAX_SERIES:
            return None
        return [float(v) for v in value.detach().cpu().double().tolist()]
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 1:
        try:
            return [float(v) for v in value.tolist()[:_MAX_SERIES]]
        except (TypeError, ValueError):
            return None
    if isinstance(value, (list, tuple)) and 0 < len(value) <= _MAX_SERIES:
        out = []
        for v in value:
            if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.is_complex():
                out.append(float(v.item()))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(float(v))
            else:
                return None
        return out
    return None


@op("series")
def series(worker: Any, name: str | None = None) -> dict[str, Any]:
    """``name``'s values as a list of floats (``/plot NAME``); without a name, the learner's
    loss history: the longest list or 1-D tensor whose name says "loss"."""
    if name:
        if name.split(".")[0] not in worker.namespace:
            return {"name": name, "error": "missing"}
        try:
            value = lookup(worker.namespace, name)
        except Exception:  # noqa: BLE001 - an attribute path that does not resolve
            return {"name": name, "error": "missing"}
        values = _series_of(value)
        return (
            {"name": name, "values": values}
            if values is not None
            else {
                "name": name,
                "error": "not_series",
            }
        )
    best: tuple[int, str, list[float]] | None = None
    for key, value in list(worker.namespace.items()):
        if "loss" not in key.lower() or key.startswith("_"):
            continue
        values = _series_of(value)
        if values is not None and len(values) >= 2 and (best is None or len(values) > best[0]):
            best = (len(values), key, values)
    return {"name": best[1], "values": best[2]} if best else {"name": None}


@op("env")
def env(worker: Any) -> dict[str, Any]:
    """Return Python and torch versions, the device and the GPU name."""
    import numpy as np
    import torch

    gpu = None
    if worker.device.type == "cuda":
        gpu = torch.cuda.get_device_name(worker.device)
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "device": str(worker.device),
        "requested_device": str(worker.config.get("device") or ""),
        "device_error": worker.device_error,
        "gpu_name": gpu,
        "threads": torch.get_num_threads(),
        "protections": dict(getattr(worker, "protections", {}) or {}),
    }


@op("graph")
def graph(worker: Any, name: str) -> Any:
    """Describe the autograd graph behind ``name`` with tutor.judge.graph (helper E's module)."""
    try:
        from tutor.judge import graph as graph_module
    except ImportError as exc:
        raise RuntimeError(f"tutor.judge.graph is not available: {exc}") from None
    return graph_module.describe(worker.namespace, name)
