"""`missing-zero-grad`: a training loop that never clears the gradients."""

from __future__ import annotations

from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import detector
from tutor.judge.detectors.training._training import clears_grads, failed_checks, training_loop
from tutor.judge.verdict import Feedback


@detector(
    "missing-zero-grad",
    premise=(
        "the reference clears the gradients (zero_grad, .grad.zero_() or .grad = None) and the "
        "learner's code does not, it has a loop calling backward() and step(), and a value "
        "(a weight, a loss) failed its check; one step without zero_grad is right, so the loop "
        "is required"
    ),
    order=200,
    whole=True,
)
def _missing_zero_grad(case: Case) -> Feedback | None:
    if not clears_grads(case.solution) or clears_grads(case.code):
        return None
    if not training_loop(case.code):
        return None
    failed = failed_checks(case)
    if failed and all(f in ("calls", "output") or f.endswith(".type") for f in failed):
        return None  # only the code's calls failed: the values say nothing yet
    return case.say("missing-zero-grad")
