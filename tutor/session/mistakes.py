"""What went wrong in an answer, as feedback ids: what the store keeps for every attempt and
``grade`` reports for every submission, so a class's mistakes can be counted.

A failing answer always gets at least one id: the lesson's and the detectors' ids;
when the code raised an error the step did not ask for, the id of the error
explanation (``matmul-inner-size``, ...) or ``error-other`` when none knows it; the
outcome when the run was stopped (``timeout``, ``memory``, ``crashed``, ``exited``,
``killed``); else ``check-`` and the leading failing check (``check-x.values``).
UI side: never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.judge.verdict import Verdict
    from tutor.sandbox import ErrorInfo

# How a run stopped, as an outcome and the feedback id that names it.
STOPPED = ("timeout", "memory", "crashed", "exited", "killed")
ERROR_OTHER = "error-other"


@dataclass(frozen=True)
class Mistakes:
    """A verdict's mistakes: the outcome (passed, failed, error, a stopped run's, sandbox),
    the failing checks (leading first), and (id, words) pairs, each id once."""

    outcome: str
    checks: tuple[str, ...] = ()
    said: tuple[tuple[str, str], ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i for i, _ in self.said)


def mistakes(
    verdict: Verdict, outcome: str, error: ErrorInfo | None, code: str, lang: str
) -> Mistakes:
    """The mistakes of ``verdict`` for code whose run ended with ``outcome`` and ``error``."""
    failing = tuple(c.name for c in verdict.checks if not c.passed)
    said = [(f.id, f.message) for f in verdict.feedback if f.id]
    if verdict.passed:
        return Mistakes("passed")
    ended = "failed"
    if "sandbox" in failing or "reference" in failing:
        ended = "sandbox"
    elif outcome in STOPPED:
        ended = outcome
        said.append((outcome, error.message if error else ""))
    elif "error" in failing and (outcome == "error" or error is None):
        # Without the run (watch mode has only the verdict), the error check says what raised.
        ended = "error"
        if error is not None:
            said.append(explained(error.type, error.message, code, lang))
        else:
            got = next(c.got for c in verdict.checks if c.name == "error" and not c.passed)
            kind, _, message = str(got).partition(": ")
            said.append(explained(kind, message, code, lang))
    if not said:
        lead = verdict.first_failure
        said.append((f"check-{lead.name}" if lead else "check-failed", ""))
    unique: dict[str, str] = {}
    for key, words in said:
        unique.setdefault(key, words)
    return Mistakes(ended, failing, tuple(unique.items()))


def explained(error_type: str, message: str, code: str, lang: str) -> tuple[str, str]:
    """The error explanation's id and words for an exception, or ``error-other``."""
    from tutor.render import errors

    try:
        found = errors.explain(error_type, message, lang, code=code)
    except Exception:  # noqa: BLE001 - an explanation is a bonus
        found = None
    if found is None:
        return ERROR_OTHER, f"{error_type}: {message}".splitlines()[0]
    return found.feedback.id, found.feedback.message


__all__ = ["ERROR_OTHER", "STOPPED", "Mistakes", "explained", "mistakes"]
