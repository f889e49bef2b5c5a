"""An author's predicate evaluated on the learner's values (in the evaluator, or in tests).

Values come as what the snapshot carried: tensors, arrays, numbers, strings, lists,
and modules, optimizers, dicts, dtypes rebuilt from their plain-data tree
(``tutor.judge.rebuild``). A value that could not be carried is an ``Opaque``
stand-in: testing what it is not works, anything needing its content fails the
predicate with a message naming it.
"""

from __future__ import annotations

from typing import Any

import torch

from tutor.judge._checktext import msg
from tutor.judge.compare import _MISSING
from tutor.judge.snapshot import Value


class _Unreadable(Exception):
    """A value a predicate cannot be given (a function, a generator, a learner's object)."""


class Opaque:
    """What a predicate gets for a value it cannot read: its name and type, nothing more.

    Testing what it is not still works (``not isinstance(gpu, bool)``: the learner
    stored a function instead of calling it); anything that would need its content
    (an attribute, a call, a comparison, its truth) raises a TypeError that says
    which value could not be read, so the predicate does not hold and says why.
    """

    __slots__ = ("_type", "_why")

    def __init__(self, why: str, type_name: str) -> None:
        object.__setattr__(self, "_why", why)
        object.__setattr__(self, "_type", type_name)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(object.__getattribute__(self, "_why"))

    def __getattr__(self, name: str) -> Any:
        raise TypeError(object.__getattribute__(self, "_why"))

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_type')}>"

    __call__ = __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __len__ = __iter__ = __getitem__ = __contains__ = _refuse
    __add__ = __sub__ = __mul__ = __truediv__ = __matmul__ = _refuse
    __hash__ = object.__hash__


def _python_value(v: Value) -> Any:
    if v.kind in ("tensor",):
        return v.data
    if v.tree is not None:
        from tutor.judge.rebuild import rebuild

        try:
            return rebuild(*v.tree)
        except Exception as exc:  # noqa: BLE001 - the tree came from the learner's process
            raise _Unreadable(v.type_name) from exc
    if v.plain is not None:  # a list of strings, a dict of numbers and strings
        return v.plain
    if v.kind in ("other", "module", "optimizer", "dict") or (
        v.kind in ("list", "tuple") and not isinstance(v.data, torch.Tensor)
    ):
        raise _Unreadable(v.type_name)
    if v.kind == "ndarray":
        return v.data.numpy() if isinstance(v.data, torch.Tensor) else None
    if v.kind in ("list", "tuple") and isinstance(v.data, torch.Tensor):
        items = v.data.tolist()
        return items if v.kind == "list" else tuple(items)
    return v.scalar


def evaluate(expr: str, uses: Any, values: dict[str, Value], lang: str = "en") -> tuple[bool, str]:
    """Evaluate an author's predicate on the learner's values; (holds, what happened)."""
    env: dict[str, Any] = {"torch": torch}
    for name in uses:
        v = values.get(name, _MISSING)
        if v.kind == "missing":
            return False, msg("name_not_defined", lang, name=name)
        try:
            env[name.replace(".", "_")] = _python_value(v)
        except _Unreadable:
            why = msg("unreadable", lang, name=name, type=v.type_name)
            env[name.replace(".", "_")] = Opaque(why, v.type_name)
    try:
        result = eval(expr, env)  # noqa: S307 - author code, never in the judge
        holds = bool(result.all()) if isinstance(result, torch.Tensor) else bool(result)
    except Exception as exc:  # noqa: BLE001 - any failure means the predicate does not hold
        if isinstance(exc, TypeError) and any(
            isinstance(value, Opaque) and str(exc) == value._why for value in env.values()
        ):
            return False, str(exc)  # the value that could not be read, named as such
        return False, f"{type(exc).__name__}: {exc}"
    return holds, str(holds if isinstance(result, torch.Tensor) else result)


__all__ = ["Opaque", "evaluate"]
