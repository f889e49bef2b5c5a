"""`eval-without-no-grad` (and `eval-missing`): evaluation that records a graph, or that runs
in training mode."""

from __future__ import annotations

from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.training._training import failed_checks, modules
from tutor.judge.verdict import Feedback

_NO_GRAD = ("no_grad", "inference_mode")


@detector(
    "eval-without-no-grad",
    "eval-missing",
    premise=(
        "evaluation: the reference uses no_grad (or inference_mode) and the learner calls "
        "eval() but not no_grad, and a result requires grad (its requires_grad check failed); "
        "or the reference calls eval() and the learner uses no_grad but never eval(), and a "
        "model among the values is still in training mode"
    ),
    order=230,
    whole=True,
)
def _eval_without_no_grad(case: Case) -> Feedback | None:
    failed = failed_checks(case)
    uses_no_grad = any(p in case.code for p in _NO_GRAD)
    reference_no_grad = any(p in case.solution for p in _NO_GRAD)
    if reference_no_grad and case.calls("eval") and not uses_no_grad:
        graph = [
            n
            for n, v in case.context.items()
            if v.kind == "tensor" and v.requires_grad and not v.is_leaf and "." not in n
        ]
        if any(f.endswith(".requires_grad") for f in failed) or (not failed and graph):
            name = case.name if case.expect.get("var") else (graph[0] if graph else "pred")
            return case.say("eval-without-no-grad", name=name.split(".")[0])
    if uses_no_grad and ".eval()" in case.solution and not case.calls("eval"):
        training = [m for m in modules(case) if (m.module or {}).get("training")]
        if training or any(f.endswith("training") for f in failed):
            return case.say("eval-missing")
    return None
