"""`softmax-before-cross-entropy`: probabilities, not logits, given to the loss."""

from __future__ import annotations

from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.training._training import modules
from tutor.judge.verdict import Feedback

_SOFTMAX = ("softmax", "Softmax")
_CE = ("CrossEntropyLoss", "cross_entropy")


@detector(
    "softmax-before-cross-entropy",
    premise=(
        "the learner's code or model applies softmax (a call, or a Softmax layer in a module) "
        "where the reference does not, and the loss is cross-entropy (called in the code, or a "
        "CrossEntropyLoss among the values)"
    ),
    order=210,
    whole=True,
)
def _softmax_before_ce(case: Case) -> Feedback | None:
    layers = {cls for m in modules(case) for _, cls in (m.module or {}).get("layers", ())}
    softmax = bool(case.calls(*_SOFTMAX)) or "Softmax" in layers
    if not softmax or any(p in case.solution for p in _SOFTMAX):
        return None
    loss_values = [v for v in case.context.values() if v.type_name == "CrossEntropyLoss"]
    if not (case.calls(*_CE) or loss_values or any(p in case.solution for p in _CE)):
        return None
    return case.say("softmax-before-cross-entropy")
