"""The detector registry: ``@detector(...)`` records a function with its id, premise and order.

Runs in the judge process; imports nothing but the verdict type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutor.judge.verdict import Feedback

if TYPE_CHECKING:
    from tutor.judge.detectors._case import Case

Check = Callable[["Case"], Feedback | None]


@dataclass(frozen=True)
class Detector:
    """One misconception detector.

    ``ids``: the feedback ids it may give (the first is its own); ``premise``: what
    must hold before it speaks, in words (docs and reports); ``order``: lower runs
    first (the most specific causes first); ``family``: its folder.
    """

    ids: tuple[str, ...]
    premise: str
    order: int
    family: str
    check: Check
    whole: bool = False  # reads the whole answer: also runs when no named value failed

    @property
    def id(self) -> str:
        return self.ids[0]


REGISTRY: dict[str, Detector] = {}


def detector(*ids: str, premise: str, order: int, whole: bool = False) -> Callable[[Check], Check]:
    """Register the decorated function as the detector of feedback ``ids``; ``whole``: it
    reads the whole answer (every value, the code), so it also runs once on an answer whose
    failing checks name no value (``calls``, a predicate)."""

    def register(func: Check) -> Check:
        family = func.__module__.split(".")[-2]
        REGISTRY[ids[0]] = Detector(tuple(ids), premise, order, family, func, whole)
        return func

    return register
