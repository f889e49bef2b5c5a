"""Values in a lesson's messages: ``{model.weight:.2f}`` filled from the learner's snapshot.

A name is a var path the step captures; numbers and one-element tensors take the format spec
(Python's), other values are shown as the verdict shows them, cut to one line. ``{{`` and
``}}`` are braces. A name the snapshot lacks keeps its placeholder, as written.
"""

from __future__ import annotations

import re

import torch

from tutor.judge.snapshot import Value

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w.]*(?:\[-?\d+\][\w.]*)*)(?::([^{}]*))?\}")


def unfilled(text: str, values: dict[str, Value]) -> list[str]:
    """The names ``text`` quotes that ``values`` lacks (a rule quoting them does not apply)."""
    return [
        m.group(1)
        for m in _FIELD.finditer(text)
        if m.group(1) and (values.get(m.group(1)) is None or values[m.group(1)].kind == "missing")
    ]


def fill(text: str, values: dict[str, Value]) -> str:
    """``text`` with each ``{name}`` / ``{name:spec}`` replaced by the value of ``name``."""
    if "{" not in text and "}" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        value = values.get(m.group(1))
        if value is None or value.kind == "missing":
            return m.group(0)
        return shown(value, m.group(2) or "")

    return _FIELD.sub(one, text)


def shown(value: Value, spec: str = "") -> str:
    """One value in a sentence: a number formatted by ``spec``, anything else on one line."""
    number = None
    if isinstance(value.scalar, (int, float)) and not isinstance(value.scalar, bool):
        number = value.scalar
    elif isinstance(value.data, torch.Tensor) and value.data.numel() == 1:
        item = value.data.reshape(-1)[0]
        number = item.item() if not item.dtype.is_complex else None
    if number is not None and spec:
        try:
            return format(number, spec)
        except (TypeError, ValueError):
            pass
    if number is not None:
        return str(number)
    if value.plain is not None:
        text = repr(value.plain)
    else:
        text = value.repr or str(value.scalar)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."
