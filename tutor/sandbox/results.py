"""What a run in the sandbox produces: plain, frozen data for the UI side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OUTCOMES = ("ok", "error", "interrupted", "timeout", "memory", "crashed", "exited", "killed")


class SandboxError(Exception):
    """The sandbox could not do what was asked (not the learner's code failing)."""


class SandboxBusy(SandboxError):
    """The worker is running learner code and cannot answer a helper call now."""


@dataclass(frozen=True)
class ErrorInfo:
    """An exception from learner code, or why a run stopped.

    ``traceback`` holds learner frames only (files such as ``<input>``) and
    ends with the ``Type: message`` line, as Python prints it.
    """

    type: str
    message: str
    traceback: str = ""

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "traceback": self.traceback}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ErrorInfo | None:
        if not data:
            return None
        return cls(
            str(data.get("type", "")), str(data.get("message", "")), str(data.get("traceback", ""))
        )


@dataclass(frozen=True)
class RunResult:
    """The result of running one piece of code in the worker.

    outcome: ok, error, interrupted, timeout, memory, crashed, exited, killed.
    restarted: the worker was replaced and the history replayed; ``note``
    then tells the learner (in their language) that nothing was lost.
    A script run (``Sandbox.run_script``) also has ``exit_code`` (the status
    ``python FILE`` would exit with; None when stopped by a limit or a crash)
    and ``errors`` (its stderr, kept apart from ``output``).
    """

    outcome: str
    output: str = ""
    error: ErrorInfo | None = None
    duration: float = 0.0
    restarted: bool = False
    note: str = ""
    exit_code: int | None = None
    errors: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def summary(self) -> str:
        """The output when it ran, else one line: the error, the note or the outcome."""
        if self.outcome == "ok":
            return self.output
        if self.error is not None:
            return f"{self.error.type}: {self.error.message}"
        return self.note or self.outcome

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "output": self.output,
            "error": self.error.to_json() if self.error else None,
            "duration": self.duration,
            "restarted": self.restarted,
            "note": self.note,
        }


@dataclass(frozen=True)
class ReferenceRun:
    """A run in a pristine worker (a reference solution, or an answer run again from its
    set-up), and where its values were saved. ``stage`` is "setup" when the set-up failed."""

    outcome: str
    output: str
    error: ErrorInfo | None
    snapshot_dir: str | None
    stage: str = "answer"
    ran: int = 0  # the pieces of an answer that ran, the one that failed included

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "output": self.output,
            "error": self.error.to_json() if self.error else None,
        }
