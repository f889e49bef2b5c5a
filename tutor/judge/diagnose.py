"""Name the mistake a learner most likely made, from their values and their code (judge side).

``detect(expect, learner, reference, code, lang, ...)`` runs every detector
(:mod:`tutor.judge.detectors`, one module each) on
one failing var expectation and returns ``Feedback(kind="diagnosis")`` items
that speak with the learner's own values and shapes. Detectors prefer tests on
values (``x.T`` equals the expected result: transposed) and use the code
(its syntax tree, never running it) only where values cannot tell.
``value_picture(learner, reference, rtol, atol)`` writes the JSON payload of
the expected-vs-yours picture drawn by ``tutor.render.pictures.DiffPicture``.

Runs in the pristine judge process: imports torch, never rich.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from tutor.judge.detectors import Case, detectors
from tutor.judge.detectors._case import _data, _wide
from tutor.judge.snapshot import Value
from tutor.judge.tolerance import tolerance
from tutor.judge.verdict import Feedback

SMALL = 8  # a diff picture shows every cell of tensors up to SMALL x SMALL


def detect(
    expect: Mapping[str, Any],
    learner: Value,
    reference: Value | None,
    code: str,
    lang: str = "en",
    *,
    context: Mapping[str, Value] | None = None,
    ref_context: Mapping[str, Value] | None = None,
    solution: str = "",
    off: frozenset[str] = frozenset(),
) -> list[Feedback]:
    """Diagnose one failing var expectation; return ``Feedback(kind="diagnosis")`` items.

    ``expect``: the expectation as a dict (``var``, ``props``, ``grad``,
    ``shares_memory_with``, ``independent_of``, ``failed`` ...). ``learner`` /
    ``reference``: the ``Value`` of ``expect["var"]`` on each side (reference None
    when the step has no reference value). ``code``: the learner's source.
    ``lang``: a catalog language. Optional, and the more the better:
    ``context`` / ``ref_context``: every loaded learner / reference Value by name
    (the ``snapshot.load`` dicts), used for the partner of a memory expectation,
    ``NAME.grad``, the tensor a gradient was read from, and the operands of ``*`` /
    ``@``; ``solution``: the reference solution's source, which lets ``*``-vs-``@``
    be told from the code when the operands are not in ``context``; ``off``: the
    feedback ids the step turned off (``quiet``), whose detectors do not run.
    """
    case = Case(expect, learner, reference, code, lang, context or {}, ref_context or {}, solution)
    found: list[Feedback] = []
    for detector in detectors():
        if off and not off.isdisjoint(detector.ids):
            continue
        try:
            feedback = detector.check(case)
        except (RuntimeError, ValueError, TypeError, IndexError):  # odd values: no diagnosis
            feedback = None
        if feedback is not None and all(f.id != feedback.id for f in found):
            found.append(feedback)
    return found


def detect_whole(
    failed: list[str],
    code: str,
    lang: str = "en",
    *,
    context: Mapping[str, Value] | None = None,
    ref_context: Mapping[str, Value] | None = None,
    solution: str = "",
    off: frozenset[str] = frozenset(),
) -> list[Feedback]:
    """Run the detectors that read the whole answer once, for an answer whose failing checks
    (``failed``: their names) are not about one value: ``calls``, a predicate, an output."""
    case = Case(
        {"failed": list(failed)},
        Value("", "missing", ""),
        None,
        code,
        lang,
        context or {},
        ref_context or {},
        solution,
    )
    found: list[Feedback] = []
    for detector in detectors():
        if not detector.whole or (off and not off.isdisjoint(detector.ids)):
            continue
        try:
            feedback = detector.check(case)
        except (RuntimeError, ValueError, TypeError, IndexError, KeyError):
            feedback = None
        if feedback is not None and all(f.id != feedback.id for f in found):
            found.append(feedback)
    return found


# ------------------------------------------------------------------ pictures


def _json_number(x: Any) -> Any:
    """A JSON-safe Python value: non-finite floats and complex numbers as strings."""
    if isinstance(x, complex):
        return str(x)
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def _json(t: torch.Tensor) -> Any:
    value = t.tolist()

    def walk(v: Any) -> Any:
        return [walk(i) for i in v] if isinstance(v, list) else _json_number(v)

    return walk(value)


def value_picture(
    learner: Value, reference: Value, rtol: float | None = None, atol: float | None = None
) -> dict[str, Any] | None:
    """The expected-vs-yours payload for two values of the same shape, or None.

    Small tensors (at most 2-d, at most 8 x 8): ``{"kind": "diff", "name",
    "expected", "got", "mismatch"}`` with nested lists. Bigger ones, as
    ``assert_close`` reports: ``{"kind": "summary", "name", "count", "total",
    "max_diff", "at", "expected_at", "got_at"}``. Tolerances default to
    ``assert_close``'s (the looser of the two dtypes'); None when the shapes differ,
    either side has no numeric data, or nothing differs.
    """
    got, want = _data(learner), _data(reference)
    if got is None or want is None or got.shape != want.shape:
        return None
    rtol, atol = tolerance(got, want, rtol, atol)  # as the check compared them
    g, w = _wide(got), _wide(want)
    mismatch = ~torch.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    count = int(mismatch.sum())
    if count == 0:
        return None
    name = reference.name or learner.name
    if got.dim() <= 2 and all(n <= SMALL for n in got.shape):
        return {
            "kind": "diff",
            "name": name,
            "expected": _json(want),
            "got": _json(got),
            "mismatch": mismatch.tolist(),
        }
    gap = (g - w).abs()
    gap = torch.where(torch.isnan(gap), torch.full_like(gap, float("inf")), gap)  # NaN: the worst
    diff = torch.where(mismatch, gap, torch.zeros_like(gap))
    flat = int(torch.argmax(diff.real if diff.is_complex() else diff))
    at = [int(i) for i in torch.unravel_index(torch.tensor(flat), got.shape)]
    return {
        "kind": "summary",
        "name": name,
        "count": count,
        "total": got.numel(),
        "max_diff": _json_number(float(diff.flatten()[flat].real)),
        "at": at,
        "expected_at": _json_number(want.flatten()[flat].item()),
        "got_at": _json_number(got.flatten()[flat].item()),
    }


def __getattr__(name: str) -> object:
    if name == "DETECTORS":  # the registry, in order (a tuple of the detector functions before)
        return tuple(d.check for d in detectors())
    raise AttributeError(name)


__all__ = ["detect", "value_picture"]
