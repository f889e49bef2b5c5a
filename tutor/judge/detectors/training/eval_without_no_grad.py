"""`eval-without-no-grad` (and `eval-missing`): evaluation that records a graph, or that runs
in training mode."""

from __future__ import annotations

from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.training._training import failed_checks
from tutor.judge.verdict import Feedback

_NO_GRAD = ("no_grad", "inference_mode")


@detector(
    "eval-without-no-grad",
    "eval-missing",
    premise=(
        "evaluation (the reference uses no_grad or inference_mode): the learner calls eval() "
        "but not no_grad and a result requires grad (its requires_grad check failed); or the "
        "learner uses no_grad, not eval(), and a model's training flag failed its check"
    ),
    order=230,
    whole=True,
)
def _eval_without_no_grad(case: Case) -> Feedback | None:
    if not any(p in case.solution for p in _NO_GRAD):
        return None
    failed = failed_checks(case)
    uses_no_grad = any(p in case.code for p in _NO_GRAD)
    if case.calls("eval") and not uses_no_grad:
        graph = [
            n
            for n, v in case.context.items()
            if v.kind == "tensor" and v.requires_grad and not v.is_leaf and "." not in n
        ]
        if any(f.endswith(".requires_grad") for f in failed) or (not failed and graph):
            name = case.name if case.expect.get("var") else (graph[0] if graph else "pred")
            return case.say("eval-without-no-grad", name=name.split(".")[0])
    if uses_no_grad and not case.calls("eval") and any(f.endswith("training") for f in failed):
        return case.say("eval-missing")
    return None
