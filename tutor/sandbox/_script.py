"""A script run (``run FILE``) as the UI sees it: the exchange with its own stderr pipe, and
the exit status ``python FILE`` would have. No torch here; ``Sandbox.run_script`` uses it."""

from __future__ import annotations

import os
from collections.abc import Callable

from tutor.sandbox._channel import ErrorStream, Exchange, WorkerHandle, forward_sigint
from tutor.sandbox.limits import Limits


def exchange(
    handle: WorkerHandle,
    path: str,
    argv: list[str],
    stdin: int,
    limits: Limits,
    timeout: float,
    lang: str,
    on_output: Callable[[str], None] | None,
    on_error: Callable[[str], None] | None,
) -> Exchange:
    """Ask ``handle`` to run the script, passing it ``stdin`` and a stderr pipe of its own;
    Ctrl-C meanwhile interrupts the script."""
    err_r, err_w = os.pipe()
    try:
        errors = ErrorStream(err_r, limits, lang, on_error)
        msg = {"op": "script", "path": os.path.abspath(path), "argv": list(argv)}
        with forward_sigint(handle):
            return handle.exchange(
                msg,
                timeout=timeout,
                lang=lang,
                on_output=on_output,
                interruptible=True,
                fds=[err_w, stdin],
                errors=errors,
            )
    finally:
        os.close(err_w)
        os.close(err_r)


def exit_code(ex: Exchange, outcome: str) -> int | None:
    """The status ``python FILE`` would end with; None when a time limit stopped it."""
    if outcome == "timeout":
        return None
    code = (ex.reply or {}).get("exit_code")
    if ex.dead:
        # os._exit(n) ends with n; a crash with the status a shell shows (128 + signal).
        status = ex.status or {}
        code = status.get("code")
        if "signal" in status and not ex.killed:
            code = 128 + int(status["signal"])
        elif outcome == "interrupted":
            code = 130
    return code if isinstance(code, int) else None
