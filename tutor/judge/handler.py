"""The judge's request handler: load both snapshots, run the checks, answer with the verdict.

Runs in the pristine judge process (``tutor.sandbox.judgeproc``), which never
runs learner code; snapshots are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from typing import Any

from tutor.judge import checks, snapshot


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer a judge request (see docs/architecture.md) with ``Verdict.to_json()``.

    A request with ``"op": "describe"`` asks instead what some names hold in two
    snapshots, ``"before"`` and ``"after"`` (``describe``).
    """
    if request.get("op") == "describe":
        names = request.get("names") or ()
        return {"snapshots": [describe(request.get(key), names) for key in ("before", "after")]}
    learner = snapshot.load(request["learner"]) if request.get("learner") else {}
    reference = snapshot.load(request["reference"]) if request.get("reference") else None
    verdict = checks.run_checks(
        request.get("step") or {},
        learner,
        reference,
        learner_run=request.get("learner_run"),
        reference_run=request.get("reference_run"),
        code=request.get("code", ""),
        lang=request.get("lang", "en"),
        # Predicates were evaluated in the confined evaluator: none runs here.
        predicates=request.get("predicates") or {},
    )
    return verdict.to_json()


def describe(directory: str | None, names: Any) -> dict[str, dict[str, Any]]:
    """Kind, type, shape, dtype and a short repr of each of ``names`` in a snapshot: how a
    variant's set-up differs from the step's, in words a learner knows."""
    values = snapshot.load(directory) if directory else {}
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        v = values.get(name)
        if v is None or v.kind == "missing":
            continue
        found[name] = {
            "kind": v.kind,
            "type": v.type_name,
            "shape": list(v.shape) if v.shape is not None else None,
            "dtype": v.dtype,
            "repr": v.repr[:200],
        }
    return found
