"""Capture learner values in the worker; load them back in the pristine judge.

Worker side: ``take(namespace, names, dest)`` writes ``dest/meta.json`` (plain
JSON) and ``dest/values.pt`` (a dict of CPU tensors, read back with
``torch.load(weights_only=True)``), so nothing the worker writes is unpickled.
Judge side: ``load(dest) -> dict[str, Value]``.

A *name* is a variable or an attribute path on one (``x``, ``x.grad``).
"""

from __future__ import annotations

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
