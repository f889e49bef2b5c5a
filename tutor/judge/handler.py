"""The judge's request handler: load both snapshots, run the checks, answer with the verdict.

Runs in the pristine judge process (``tutor.sandbox.judgeproc``), which never
runs learner code; snapshots are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from typing import Any

from tutor.i18n import LANGS, catalog
from tutor.judge import checks, detectors, snapshot
from tutor.judge.verdict import JudgeRequest

# Loaded here, once: the zygote imports this module before it forks the judge, so every judge
# starts with the detector modules imported and the catalogs parsed.
detectors.detectors()
for _lang in LANGS:
    catalog(_lang)


def handle(request: JudgeRequest) -> dict[str, Any]:
    """Answer a judge request (see docs/architecture.md) with ``Verdict.to_json()``.

    A request with ``"op": "describe"`` asks instead what some names hold in two
    snapshots, ``"before"`` and ``"after"`` (``describe``).
    """
    asked: dict[str, Any] = dict(request)
    if asked.get("op") == "describe":
        names = asked.get("names") or ()
        return {"snapshots": [describe(asked.get(key), names) for key in ("before", "after")]}
    learner_dir, reference_dir = request.get("learner"), request.get("reference")
    learner = snapshot.load(learner_dir) if learner_dir else {}
    reference = snapshot.load(reference_dir) if reference_dir else None
    learner_run, reference_run = request.get("learner_run"), request.get("reference_run")
    verdict = checks.run_checks(
        request.get("step") or {},
        learner,
        reference,
        learner_run=dict(learner_run) if learner_run is not None else None,
        reference_run=dict(reference_run) if reference_run is not None else None,
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
