"""The sandbox: learner code runs in forked worker processes, never in the UI.

The UI imports this package without importing torch; torch lives in the
zygote process (``tutor.sandbox.zygote``) and its forks.
"""

from __future__ import annotations

from tutor.sandbox.results import (
    OUTCOMES,
    ErrorInfo,
    ReferenceRun,
    RunResult,
    SandboxBusy,
    SandboxError,
)
from tutor.sandbox.sandbox import Sandbox

__all__ = [
    "OUTCOMES",
    "ErrorInfo",
    "ReferenceRun",
    "RunResult",
    "Sandbox",
    "SandboxBusy",
    "SandboxError",
]
