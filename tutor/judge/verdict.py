"""The checker's answer as plain data: one row per property, then feedback.

This module is imported on both sides of the sandbox, so it must not import
torch, rich or prompt_toolkit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict


class RunJson(TypedDict):
    """How one run ended, as the judge reads it (``RunResult.to_json()`` minus the timings)."""

    outcome: str
    output: str
    error: dict[str, str] | None


class _JudgeRequired(TypedDict):
    """The keys every judge request has (see JudgeRequest)."""

    lang: str
    step: dict[str, Any]  # Step.spec(): the expectations, feedback rules and solution, as JSON
    learner: str | None  # the learner's snapshot folder
    reference: str | None  # the reference's snapshot folder
    learner_run: RunJson | dict[str, Any]
    reference_run: RunJson | dict[str, Any] | None
    code: str


class JudgeRequest(_JudgeRequired, total=False):
    """What the UI sends the judge (``sandbox.judge``) for one answer; JSON both ways."""

    # {predicate_key(expr, uses): [holds, detail]}, evaluated in the confined evaluator
    predicates: dict[str, list[Any]]
    # ``"op": "describe"``: what ``names`` hold in the snapshots ``before`` and ``after``
    op: str
    names: list[str]
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Check:
    """One property of the learner's answer, e.g. ``x.shape``."""

    name: str
    passed: bool
    expected: str = ""
    got: str = ""
    message: str = ""


@dataclass(frozen=True)
class Feedback:
    """A teaching message with a stable id (``transposed``, ``used-ones`` ...)."""

    id: str
    message: str
    kind: str = (
        "feedback"  # "feedback" (lesson), "diagnosis" (detector), "error" (explained exception)
    )
    # The variables it speaks about (a lesson rule's ``failed`` names, a detector's variable):
    # a detector does not repeat what the lesson already said about the same variable.
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The result of checking one answer; the first failing check leads."""

    passed: bool
    checks: tuple[Check, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    # Picture payloads for the renderer (value diffs, broadcasting), plain JSON.
    pictures: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if not c.passed), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "feedback": [_feedback_json(f) for f in self.feedback],
            "pictures": list(self.pictures),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            passed=bool(data["passed"]),
            checks=tuple(Check(**c) for c in data.get("checks", ())),
            feedback=tuple(
                Feedback(
                    f["id"], f["message"], f.get("kind", "feedback"), tuple(f.get("about", ()))
                )
                for f in data.get("feedback", ())
            ),
            pictures=tuple(data.get("pictures", ())),
        )


def _feedback_json(f: Feedback) -> dict[str, Any]:
    found: dict[str, Any] = {"id": f.id, "message": f.message, "kind": f.kind}
    if f.about:
        found["about"] = list(f.about)
    return found


def predicate_key(expr: str, uses: Any) -> str:
    """How a lesson predicate and the names it uses are named in the evaluator's answers."""
    return expr + "\x00" + ",".join(uses or ())
