"""The error-explanation registry: ``@explains(id, *patterns, order=N)`` records a builder.

UI side: never imports torch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutor.i18n import Msg

# A builder turns a regex match into (its message: a catalog key and fields, picture or None).
Builder = Callable[[re.Match[str]], "tuple[Msg, dict[str, Any] | None]"]
# A refiner says more from the failing code and the learner's shapes: (words to add, picture).
Refiner = Callable[
    [dict[str, Any], str, Mapping[str, Sequence[int]]], "tuple[Msg | None, dict[str, Any]]"
]


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: re.Pattern[str]
    build: Builder
    order: int = 0
    refine: Refiner | None = None
    when: Callable[[str], bool] | None = None  # the failing code must satisfy this
    receiver: str = ""


RULES: list[_Rule] = []


def explains(
    id_: str,
    *patterns: re.Pattern[str],
    order: int,
    refine: Refiner | None = None,
    when: Callable[[str], bool] | None = None,
    receiver: str = "",
) -> Callable[[Builder], Builder]:
    """Register the decorated builder for messages matching any of ``patterns`` (tried in
    ``order``, lowest first, with every other rule: the first match wins).

    ``when``: a test on the failing code (a layer call rather than ``@``); the rule is
    skipped without code or when it fails. ``receiver``: the method the failing code called
    (``"numpy"``); the message's ``{tensor}`` field is then what the learner called it on
    (``w``), or ``tensor`` when the code does not say."""

    def register(build: Builder) -> Builder:
        for i, pattern in enumerate(patterns):
            RULES.append(_Rule(id_, pattern, build, order + i, refine, when, receiver))
        return build

    return register


def _shape(text: str) -> list[int]:
    """``"2x3"`` / ``"[2, 3]"`` / ``"(2)"`` -> ``[2, 3]``."""
    return [int(n) for n in re.findall(r"-?\d+", text)]


def _fmt(shape: list[int]) -> str:
    """A shape written the way ``tensor.shape`` prints it, without the torch.Size."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)
