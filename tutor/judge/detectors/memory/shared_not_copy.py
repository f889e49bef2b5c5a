"""`shared-not-copy`: one detector.

Speaks when the step wants an independent copy and the learner's tensor overlaps its partner.
"""

from __future__ import annotations

from tutor.judge.detectors._case import (
    Case,
    _overlap,
)
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


@detector(
    "shared-not-copy",
    premise="the step wants an independent copy and the learner's tensor overlaps its partner",
    order=50,
)
def _shared_not_copy(case: Case) -> Feedback | None:
    partner = case.expect.get("independent_of")
    if not partner or not _overlap(case.learner, case.context.get(partner)):
        return None
    return case.say("shared-not-copy", name=case.name, partner=partner)
