"""`lr-diverged`: the loss or the weights went to inf or nan under an optimizer."""

from __future__ import annotations

import ast
import math

import torch

from tutor import codeinfo
from tutor.judge.detectors._case import Case, _data
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback

_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "optim")


def _lr(code: str) -> str | None:
    """The ``lr=`` literal of the optimizer the code makes, as written."""
    tree = codeinfo.parse(code)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "lr":
                    return ast.get_source_segment(code, kw.value)
    return None


def _blown(case: Case) -> tuple[str, str] | None:
    """(name, inf or nan) of the first learner value that blew up, or that grew 1000-fold."""
    for name, v in case.context.items():
        data = _data(v)
        if data is None or data.dtype == torch.bool or data.is_complex() or not data.numel():
            continue
        flat = data.detach().to(torch.float64).reshape(-1)
        bad = ~torch.isfinite(flat)
        if bool(bad.any()):
            return name, str(float(flat[int(bad.to(torch.int64).argmax())]))
        if v.kind == "list" and flat.numel() > 2:
            first, last = abs(float(flat[0])), abs(float(flat[-1]))
            if first > 0 and last > 1000 * first and math.isfinite(last):
                return name, f"{last:.3g}"
    return None


@detector(
    "lr-diverged",
    premise=(
        "a learner value (a loss, a list of losses, a weight) is inf or nan, or a list of losses "
        "grew a thousandfold from first to last, and the code makes an optimizer"
    ),
    order=220,
    whole=True,
)
def _lr_diverged(case: Case) -> Feedback | None:
    if not case.calls(*_OPTIMIZERS):
        return None
    blown = _blown(case)
    if blown is None:
        return None
    lr = _lr(case.code)
    if lr is None:
        return case.say("lr-diverged", "no_lr", name=blown[0], value=blown[1])
    return case.say("lr-diverged", name=blown[0], value=blown[1], lr=lr)
