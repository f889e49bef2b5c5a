"""Judge side: a value captured as plain data (``tutor.judge._tree``) made an object again,
for a predicate to read.

A PyTorch module or optimizer comes back as its own class (found by name in an
already-imported ``torch`` module, never imported here), built without its
``__init__`` and filled with the captured parameters, buffers, sub-modules and
settings, so torch's own methods (``parameters()``, a layer's forward) work on it.
An optimizer is built the same way, without ``__init__``. A class the learner
wrote comes back as a PyTorch base class under the same name
whose ``forward`` (or ``step``) refuses to run: that code is the learner's, and it
never runs in the judge.
"""

from __future__ import annotations

import collections
import sys
from typing import Any

import torch

_MESSAGE = "{name}.{method} is code the learner wrote; the checker does not run it"


def rebuild(node: dict[str, Any], tensors: list[torch.Tensor]) -> Any:
    """The object a tree describes (see ``tutor.judge._tree``)."""
    return _Builder(tensors).build(node)


class _Builder:
    def __init__(self, tensors: list[torch.Tensor]) -> None:
        self.tensors = tensors
        self.made: dict[int, torch.Tensor] = {}  # tensor index -> the one object made for it

    def build(self, node: dict[str, Any]) -> Any:
        kind = node["t"]
        if kind == "py":
            return node["v"]
        if kind == "float":
            return float(node["v"])
        if kind == "complex":
            return complex(*node["v"])
        if kind == "tensor":
            return self.tensor(node)
        if kind == "dtype":
            dtype = getattr(torch, str(node["v"]).removeprefix("torch."), None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"not a dtype: {node['v']!r}")
            return dtype
        if kind == "device":
            return torch.device(node["v"])
        if kind == "size":
            return torch.Size(node["v"])
        if kind in ("list", "tuple"):
            items = [self.build(n) for n in node["v"]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {self.build(k): self.build(v) for k, v in node["v"]}
        if kind == "module":
            return self.module(node)
        if kind == "optimizer":
            return self.optimizer(node)
        raise ValueError(f"unknown value kind {kind!r}")

    def tensor(self, node: dict[str, Any]) -> torch.Tensor:
        index = node["i"]
        if index in self.made:
            return self.made[index]
        data = self.tensors[index]
        can_grad = data.is_floating_point() or data.is_complex()
        if node["param"]:
            made: torch.Tensor = torch.nn.Parameter(data, requires_grad=node["rg"] and can_grad)
        else:
            made = data.requires_grad_(node["rg"] and can_grad)
        self.made[index] = made
        if isinstance(node.get("grad"), dict):
            made.grad = self.tensor(node["grad"])
        return made

    def module(self, node: dict[str, Any]) -> torch.nn.Module:
        cls: Any = _torch_class(node["torch"], torch.nn.Module) or _learner_class(
            node["name"], torch.nn.Module, "forward"
        )
        module: torch.nn.Module = cls.__new__(cls)
        torch.nn.Module.__init__(module)
        for name, part in node["params"]:
            module._parameters[name] = None if part is None else self.build(part)
        for name, part in node["buffers"]:
            module._buffers[name] = None if part is None else self.build(part)
        for name, part in node["modules"]:
            module._modules[name] = None if part is None else self.build(part)
        module.training = node["training"]
        state = module.__dict__
        for name, part in node["attrs"]:
            if name not in state:  # what Module.__init__ made (hooks ...) stays as made
                state[name] = self.build(part)
        return module

    def optimizer(self, node: dict[str, Any]) -> torch.optim.Optimizer:
        cls: Any = _torch_class(node["torch"], torch.optim.Optimizer) or _learner_class(
            node["name"], torch.optim.Optimizer, "step"
        )
        optimizer: torch.optim.Optimizer = cls.__new__(cls)
        # Not Optimizer.__init__: it wants its parameters afresh and sets up compilation
        # caches (a temporary folder this confined process does not have). The captured
        # instance dict (hooks, settings) is put back as it was, then groups and state.
        state = optimizer.__dict__
        for name, part in node["attrs"]:
            state[name] = self.build(part)
        optimizer.defaults = self.build(node["defaults"])
        optimizer.param_groups = self.build(node["param_groups"])
        optimizer.state = collections.defaultdict(dict, self.build(node["state"]))
        return optimizer


def _torch_class(path: str | None, base: type) -> type | None:
    """The class at ``module:qualname`` in an already-imported torch module, if it is a
    ``base``."""
    if not path:
        return None
    module_name, _, qualname = path.partition(":")
    if not (module_name == "torch" or module_name.startswith("torch.")):
        return None
    found: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) and issubclass(found, base) else None


def _learner_class(name: str, base: type, method: str) -> type:
    """A stand-in for the learner's class: the same name, ``base``'s data, and ``method``
    refusing to run."""
    name = name if name.isidentifier() else base.__name__

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(_MESSAGE.format(name=name, method=method))

    return type(name, (base,), {method: refuse, "__module__": "learner"})


__all__ = ["rebuild"]
