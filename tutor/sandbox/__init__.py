"""The sandbox: learner code runs in forked worker processes, never in the UI.
May import tutor.judge (worker side: zygote, worker, introspect) and tutor.i18n; UI side no torch.

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
