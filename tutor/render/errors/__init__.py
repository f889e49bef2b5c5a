"""Friendly explanations of PyTorch's own error messages: a registry, one module per family.
May import tutor.i18n, tutor.codeinfo and tutor.judge.verdict; never torch.

UI side: this module must never import torch. ``explain(error_type, message,
lang)`` matches the stable part of a message with a regular expression, pulls the
learner's own shapes, sizes and dtypes out of it, and returns an ``Explanation``
(a ``Feedback`` of kind ``"error"`` plus an optional picture payload), or None
for an error it does not know, in which case the caller shows the plain
traceback. The caller always shows the original message too; the text here
refers to it ("the message above").

The rules live one family per module beside this one (matmul, broadcast, views,
autograd, devices, indexing, dtype, inputs), each builder registered with ``@explains``;
adding one is adding a function to a family (or a new module here). May import
tutor.i18n, tutor.codeinfo and tutor.judge.verdict; never torch.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutor import codeinfo
from tutor.i18n import Msg
from tutor.judge.verdict import Feedback, Verdict
from tutor.render.errors._registry import RULES, _Rule


@dataclass(frozen=True)
class Explanation:
    """A friendly explanation of one error and, where it helps, a picture payload.

    ``picture`` is plain JSON for ``tutor.render.pictures.picture_for``, e.g.
    ``{"kind": "broadcast", "shapes": [[3, 2], [3]], "clash": -1}``.
    """

    feedback: Feedback
    picture: dict[str, Any] | None = None


def _load() -> tuple[_Rule, ...]:
    """Every rule of every family module here, in order."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return tuple(sorted(RULES, key=lambda rule: rule.order))


_RULES = _load()
IDS: tuple[str, ...] = tuple(dict.fromkeys(rule.id for rule in _RULES))


def rules() -> tuple[_Rule, ...]:
    """The registered rules, in the order they are tried."""
    return _RULES


def explain(
    error_type: str,
    message: str,
    lang: str = "en",
    *,
    code: str = "",
    shapes: Mapping[str, Sequence[int]] | None = None,
    off: Collection[str] = (),
) -> Explanation | None:
    """Explain a PyTorch error in the learner's language, or None when it is not a known one.

    ``error_type`` is the exception's class name (``"RuntimeError"``; unused for
    matching, since torch has moved messages between exception types); ``message``
    is ``str(exc)``; ``lang`` a catalog language (anything else: English).
    Optional: ``code`` (the code that failed) lets a broadcasting error quote the
    operands of the failing operation; with ``shapes`` too (name -> shape of the
    learner's tensors, e.g. from ``sb.call("vars")``) two clashing variables are
    named and their whole shapes drawn, and a suggested fix such as
    ``w.detach().numpy()`` uses the learner's own name for the tensor. ``off``: ids
    the step turned off (``quiet``): such an error is shown without an explanation.
    """
    for rule in rules():
        if rule.when is not None and not (code and rule.when(code)):
            continue
        found = rule.pattern.search(message)
        if found and rule.id in off:
            return None
        if found:
            msg, picture = rule.build(found)
            if rule.receiver:  # the learner's own name for the tensor, in the suggested fix
                tensor = codeinfo.receiver(code, rule.receiver) or "tensor"
                msg = Msg(msg.key, **msg.fields, tensor=tensor)
            text = msg.render(lang)
            if rule.refine is not None and picture and code:
                more, picture = rule.refine(picture, code, shapes or {})
                text += more.render(lang) if more else ""
            return Explanation(Feedback(rule.id, text, kind="error"), picture)
    return None


def explain_verdict(
    verdict: Verdict, code: str = "", lang: str = "en", *, off: Collection[str] = ()
) -> Verdict:
    """``verdict`` with the PyTorch error its answer raised explained as the prompt explains
    it (the same id and words), added to its feedback; as it was when nothing raised (or the
    step expected the error, or the explanation is there already).

    ``check``, ``watch``, ``validate`` and the prompt all pass their verdicts through here,
    so a trap gets the same explanation id everywhere.
    """
    raised = next((c for c in verdict.checks if c.name == "error" and not c.passed), None)
    if verdict.passed or raised is None or ": " not in raised.got:
        return verdict
    error_type, message = raised.got.split(": ", 1)
    try:
        found = explain(error_type, message, lang, code=code, off=off)
    except Exception:  # noqa: BLE001 - an explanation is a bonus, never a reason to fail
        return verdict
    if found is None or any(f.id == found.feedback.id for f in verdict.feedback):
        return verdict
    return dataclasses.replace(verdict, feedback=(*verdict.feedback, found.feedback))


__all__ = ["IDS", "Explanation", "explain", "explain_verdict", "rules"]
