"""`wrong-device`: the values are right and only the device differs."""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
    _close,
    _tensors,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "wrong-device",
    premise="the values are right and only the device differs",
    order=30,
)
def _wrong_device(case: Case) -> Feedback | None:
    pair = _tensors(case)
    got = case.learner.device or "cpu"
    want = case.expect.get("device") or (case.reference.device if case.reference else None)
    if pair is None or not want or got.split(":")[0] == str(want).split(":")[0]:
        return None
    if not _close(*pair):
        return None
    return case.say("wrong-device", name=case.name, got=got, want=want)
