"""`copy-not-shared`: one detector.

Speaks when the step wants memory shared with a partner and the learner's tensor has its own.
"""

from __future__ import annotations

import ast

from tutor import codeinfo
from tutor.judge.detectors._case import (
    Case,
    _overlap,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


def _rebound(code: str, name: str) -> str | None:
    """The statement that rebinds ``name`` to an arithmetic result on itself (``x = x * 2``)."""
    tree = codeinfo.parse(code)
    for node in ast.walk(tree) if tree else ():
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.BinOp)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value))
        ):
            return ast.get_source_segment(code, node) or f"{name} = {name} ..."
    return None


@detector(
    "copy-not-shared",
    premise="the step wants memory shared with a partner and the learner's tensor has its own",
    order=40,
)
def _copy_not_shared(case: Case) -> Feedback | None:
    partner = case.expect.get("shares_memory_with")
    if not partner or _overlap(case.learner, case.context.get(partner)) is not False:
        return None
    statement = _rebound(case.code, case.name)
    if statement:
        return case.say(
            "copy-not-shared", "rebound", statement=statement, partner=partner, name=case.name
        )
    copied = case.calls(
        "torch.tensor",
        "clone",
        "copy",
        "numpy.array",
        "np.array",
        "torch.as_tensor",
        "tolist",
        "float",
        "double",
        "long",
        "int",
        "half",
        "to",
        "contiguous",
    )
    call = next((f"`{c}(...)`" if "." in c else f"`.{c}()`" for c in copied), "")
    how = case.msg("copy-not-shared", "how", call=call) if call else ""
    # Name the ways that fit the lesson: NumPy's only where NumPy is part of the step.
    other = case.context.get(partner)
    arrays = "ndarray" in (case.learner.kind, other.kind if other is not None else "")
    numpy = arrays or bool(
        codeinfo.calls_any(case.code + "\n" + case.solution, ("from_numpy", "numpy", "as_tensor"))
    )
    ways = case.msg("copy-not-shared", "ways_numpy" if numpy else "ways_tensor", partner=partner)
    return case.say("copy-not-shared", name=case.name, how=how, partner=partner, ways=ways)
