"""A tiny judge handler for the sandbox tests (the real one is tutor.judge.handler:handle).

It compares one name between a learner and a reference snapshot with the
judge process's own, untouched torch.
"""

from __future__ import annotations

import os
from typing import Any


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("op") == "echo":
        return {"echo": request.get("payload"), "pid": os.getpid()}
    if request.get("op") == "fail":
        raise ValueError("the stub was asked to fail")
    import torch

    from tutor.judge import snapshot

    learner = snapshot.load(request["learner"])
    reference = snapshot.load(request["reference"])
    name = request["name"]
    mine, theirs = learner[name].data, reference[name].data
    passed = (
        mine is not None
        and theirs is not None
        and mine.shape == theirs.shape
        and bool(torch.allclose(mine.double(), theirs.double()))
    )
    return {"passed": passed, "torch_pid": os.getpid()}
