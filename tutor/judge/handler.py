"""The judge's request handler: load both snapshots, run the checks, answer with the verdict.

Runs in the pristine judge process (``tutor.sandbox.judgeproc``), which never
runs learner code; snapshots are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from typing import Any

from tutor.judge import checks, snapshot


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer a judge request (see docs/architecture.md) with ``Verdict.to_json()``."""
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
