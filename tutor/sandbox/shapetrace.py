"""The shape trace: the learner's last input, op by op, with the shapes going in and out.

Worker side. While learner code runs, a ``TorchFunctionMode`` sees every top-level torch call
and global module hooks see every ``nn.Module`` call; each becomes one plain entry
(``{"op", "module", "in", "out", "error", "expects"}``) in a bounded list, the last input's
only. A call inside a module's ``forward`` is folded into that module's entry, so the trace
reads as the learner wrote the model: ``x (64, 784) → Linear(784→128) → relu → ...``. The
first call that raised is marked with its error (and, for a layer, what it expects). The UI
formats the entries (tutor.render.shapes); nothing here prints.
"""

from __future__ import annotations

import collections
import sys
import warnings
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

LIMIT = 200  # entries kept of one input (the last ones: the error is at the end)

# Calls that read a tensor rather than compute one: never a step of the computation.
_QUIET = frozenset(
    {
        "__get__",
        "__repr__",
        "__format__",
        "__str__",
        "__len__",
        "__iter__",
        "__bool__",
        "__float__",
        "__int__",
        "__index__",
        "__hash__",
        "__contains__",
        "__array__",
        "size",
        "dim",
        "numel",
        "item",
        "tolist",
        "numpy",
        "is_floating_point",
        "is_complex",
        "data_ptr",
        "element_size",
        "stride",
        "storage_offset",
        "untyped_storage",
        "is_contiguous",
        "_is_view",
        "requires_grad_",
        "retain_grad",
        "register_hook",
    }
)


def _shape(x: Any) -> list[int] | None:
    if isinstance(x, torch.Tensor):
        try:
            return [int(n) for n in x.shape]
        except Exception:  # noqa: BLE001 - a tensor subclass without a shape
            return None
    return None


def _tensors(args: Any, kwargs: Any) -> list[Any]:
    found = []
    for a in list(args) + list((kwargs or {}).values()):
        if isinstance(a, torch.Tensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found += [t for t in a[:8] if isinstance(t, torch.Tensor)]
    return found


def _out_shape(out: Any) -> list[int] | None:
    if isinstance(out, torch.Tensor):
        return _shape(out)
    if isinstance(out, (list, tuple)) and out and isinstance(out[0], torch.Tensor):
        return _shape(out[0])
    return None


def _name(func: Any) -> str:
    name = getattr(func, "__name__", "") or str(func)
    return name.strip("_") if name.startswith("__") and name not in _QUIET else name


def transparent(module: Any) -> bool:
    """A module whose insides are the learner's steps: a container (``nn.Sequential``) or a
    model of the learner's own class; its children are shown, not it."""
    if isinstance(module, (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)):
        return True
    return not type(module).__module__.startswith("torch.")


def module_label(module: Any) -> tuple[str, str | None]:
    """``Linear(784→128)`` and what such a layer expects of its input (``(*, 784)``)."""
    cls = type(module).__name__
    if isinstance(module, torch.nn.Linear):
        return f"{cls}({module.in_features}→{module.out_features})", f"(*, {module.in_features})"
    if isinstance(module, torch.nn.modules.conv._ConvNd):
        return f"{cls}({module.in_channels}→{module.out_channels})", (
            f"(N, {module.in_channels}, ...)"
        )
    if isinstance(module, (torch.nn.Embedding,)):
        return f"{cls}({module.num_embeddings}, {module.embedding_dim})", "(*) of int64 indices"
    return cls, None


# The learner's frames that called the torch calls running in the trace now (innermost last).
_CALLERS: list[Any] = []
_HERE = globals()
_THIS_FILE = (lambda: None).__code__.co_filename


def _show_from_caller(show: Any) -> Any:
    """A ``warnings._showwarnmsg`` that tells a warning raised in a traced torch call as coming
    from the learner's line (``<input>:5``) that made the call, not from this module's, which
    is the Python frame torch's own warnings see while the trace sits in between. It goes
    through ``warnings.warn_explicit`` again from that line, so the learner's filters and
    Python's once-per-line rule decide as they would without the trace."""

    def showwarnmsg(msg: Any) -> None:
        if _CALLERS and msg.filename == _THIS_FILE:
            caller = _CALLERS[-1]
            warnings.warn_explicit(
                msg.message,
                msg.category,
                caller.f_code.co_filename,
                caller.f_lineno,
                module=caller.f_globals.get("__name__"),
                registry=caller.f_globals.setdefault("__warningregistry__", {}),
                source=msg.source,
            )
            return
        show(msg)

    return showwarnmsg


def _call(func: Any, args: Any, kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` for the caller one frame above the trace's own method. Filters
    and the once-per-line memory are left alone (changing them, as ``catch_warnings`` does,
    makes Python forget which warnings it has shown: a loop would repeat one every pass); this
    module's own memory is cleared so every warning reaches the caller's line and its memory."""
    _CALLERS.append(sys._getframe(2))
    _HERE.pop("__warningregistry__", None)
    try:
        return func(*args, **kwargs)
    finally:
        _CALLERS.pop()


class Trace(TorchFunctionMode):
    """Records one input's torch calls and module calls as plain entries."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=LIMIT)
        self.stack: list[dict[str, Any]] = []  # module entries being run
        self.first_input: int | None = None  # id() of the first tensor the input computed with
        self.failed = False

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = _name(func)
        if name in _QUIET or self.failed:
            return _call(func, args, kwargs)
        tensors = _tensors(args, kwargs)
        try:
            out = _call(func, args, kwargs)
        except Exception as exc:
            self._error(name, tensors, exc)
            raise
        if self._shown() and tensors:
            self._add({"op": name, "in": [_shape(t) for t in tensors[:4]], "out": _out_shape(out)})
            if self.first_input is None:
                self.first_input = id(tensors[0])
        return out

    def _shown(self) -> bool:
        """Whether a call made now is a step the learner wrote (not inside a layer)."""
        return all(e["transparent"] for e in self.stack)

    def _add(self, entry: dict[str, Any]) -> None:
        entry.pop("transparent", None)
        entry.pop("shown", None)
        entry.setdefault("module", None)
        entry.setdefault("error", None)
        entry.setdefault("expects", None)
        self.entries.append(entry)

    def _error(self, name: str, tensors: list[Any], exc: BaseException) -> None:
        """The first call that raised: the module running it (if any) carries the mark."""
        if self.failed:
            return
        self.failed = True
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        opaque = [e for e in self.stack if not e["transparent"]]
        if opaque:  # the layer the learner called (its insides are not theirs)
            entry, inner = opaque[0], opaque[-1]
            marked = {**entry, "error": text, "expects": inner.get("expects") or entry["expects"]}
            self._add(marked)
        else:
            self._add({"op": name, "in": [_shape(t) for t in tensors[:4]], "error": text})
            if self.first_input is None and tensors:
                self.first_input = id(tensors[0])

    # module hooks (global: registered once per worker by ``install``)

    def pre(self, module: Any, args: Any) -> None:
        if self.failed:
            return
        label, expects = module_label(module)
        tensors = _tensors(args, {})
        shown = self._shown()
        self.stack.append(
            {
                "op": label,
                "module": label,
                "in": [_shape(t) for t in tensors[:4]],
                "expects": expects,
                "transparent": transparent(module),
                "shown": shown,
            }
        )
        if self.first_input is None and tensors and len(self.stack) == 1:
            self.first_input = id(tensors[0])

    def post(self, module: Any, args: Any, out: Any) -> None:
        if not self.stack or self.failed:
            return
        entry = self.stack.pop()
        if entry["shown"] and not entry["transparent"]:  # a layer the learner called
            self._add({**entry, "out": _out_shape(out)})


def _has_loop(code: str) -> bool:
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(isinstance(n, (ast.For, ast.While, ast.comprehension)) for n in ast.walk(tree))


class Recorder:
    """One per worker: the trace of the input running now and of the last one."""

    def __init__(self) -> None:
        self.current: Trace | None = None
        self.functions = True  # also record torch calls (off for an input with a loop)
        self.last: list[dict[str, Any]] = []
        self.first_input: int | None = None
        self._hooks: list[Any] = []

    def install(self) -> None:
        from torch.nn.modules import module as nn_module

        self._hooks = [
            nn_module.register_module_forward_pre_hook(self._pre),
            nn_module.register_module_forward_hook(self._post),
        ]
        warnings._showwarnmsg = _show_from_caller(warnings._showwarnmsg)  # type: ignore[attr-defined]

    def _pre(self, module: Any, args: Any) -> None:
        if self.current is not None:
            self.current.pre(module, args)

    def _post(self, module: Any, args: Any, out: Any) -> None:
        if self.current is not None:
            self.current.post(module, args, out)

    def start(self, code: str = "") -> Trace:
        """A trace for the input ``code``. Torch calls are recorded only for an input without a
        loop: in a training loop the recording slowed every step 2-3 times (every op of
        ``opt.step()`` and the loss passes through it), while the layers (module hooks)
        cost nothing measurable; a shape error shows in the first pass of a loop anyway."""
        self.current = Trace()
        self.functions = not _has_loop(code)
        return self.current

    def mode(self) -> Any:
        """The context to run the input in: the trace's function mode, or nothing."""
        import contextlib

        return self.current if self.functions and self.current else contextlib.nullcontext()

    def stop(self) -> None:
        trace, self.current = self.current, None
        if trace is not None:
            self.last = list(trace.entries)
            self.first_input = trace.first_input

    def entries(self, namespace: dict[str, Any]) -> dict[str, Any]:
        """The last input's entries, and the learner's name of the tensor it started from."""
        start = None
        if self.first_input is not None:
            for key, value in namespace.items():
                if id(value) == self.first_input and not key.startswith("_"):
                    start = key
                    break
        return {"start": start, "entries": self.last}


__all__ = ["LIMIT", "Recorder", "Trace", "module_label"]
