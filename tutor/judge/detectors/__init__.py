"""Misconception detectors, one module each, in folders by family (dtype, shape, ops, gradients,
memory, devices). May import torch, tutor.judge's snapshot and verdict, tutor.i18n, tutor.codeinfo.

Adding a detector is adding one module: a function decorated with
``@detector("its-id", premise=..., order=...)`` that takes a :class:`Case` and
returns ``Feedback`` (``case.say("its-id", **fields)``, words in the catalogs'
``[detect.its-id]`` table) or None. Every module under a family folder is
imported by :func:`detectors`, so the registry holds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import REGISTRY, Detector, detector


@cache
def detectors() -> tuple[Detector, ...]:
    """Every registered detector, the most specific first (by ``order``)."""
    for family in pkgutil.iter_modules(__path__):
        if family.ispkg:
            package = importlib.import_module(f"{__name__}.{family.name}")
            for module in pkgutil.iter_modules(package.__path__):
                importlib.import_module(f"{package.__name__}.{module.name}")
    return tuple(sorted(REGISTRY.values(), key=lambda d: d.order))


def ids() -> tuple[str, ...]:
    """Every feedback id a detector may give."""
    return tuple(i for d in detectors() for i in d.ids)


__all__ = ["Case", "Detector", "detector", "detectors", "ids"]
