"""Name how a run ended: an outcome and a learner-facing ErrorInfo (UI side)."""

from __future__ import annotations

from typing import Any

from tutor.sandbox import messages
from tutor.sandbox._channel import Exchange
from tutor.sandbox.results import ErrorInfo


def classify(
    ex: Exchange,
    lang: str,
    timeout: float,
    memory_mb: int,
    caps: dict[str, int] | None = None,
) -> tuple[str, ErrorInfo | None]:
    """Turn an exchange into an outcome and a learner-facing ErrorInfo.

    ``caps``: {"disk_mb", "processes"}, named when the zygote's watchdog stopped a worker.
    """
    if ex.dead:
        reason = (ex.status or {}).get("reason")
        if reason in ("disk", "processes"):
            caps = caps or {}
            text = messages.text(
                reason, lang, mb=caps.get("disk_mb", "?"), count=caps.get("processes", "?")
            )
            return "killed", ErrorInfo("WorkerKilled", text)
        return _death(ex, lang, timeout)
    reply = ex.reply or {}
    outcome = str(reply.get("outcome", "error"))
    error = ErrorInfo.from_json(reply.get("error"))
    trace = error.traceback if error else ""
    if outcome == "interrupted" and ex.stopped == "timeout":
        return "timeout", ErrorInfo(
            "TimeoutError", messages.text("timeout", lang, seconds=timeout), trace
        )
    if outcome == "interrupted":
        return outcome, ErrorInfo("KeyboardInterrupt", messages.text("interrupted", lang), trace)
    if outcome == "memory":
        return outcome, ErrorInfo(
            error.type if error else "MemoryError", _memory_message(reply, lang, memory_mb), trace
        )
    if outcome == "exited":
        code = reply.get("exit_code", 0)
        return outcome, ErrorInfo("SystemExit", messages.text("exited", lang, code=code), "")
    return outcome, error


def _death(ex: Exchange, lang: str, timeout: float) -> tuple[str, ErrorInfo]:
    if ex.killed and ex.stopped == "timeout":
        return "timeout", ErrorInfo("TimeoutError", messages.text("timeout", lang, seconds=timeout))
    if ex.killed:
        return "interrupted", ErrorInfo("KeyboardInterrupt", messages.text("interrupted", lang))
    status = ex.status or {}
    if "signal" in status:
        sig = int(status["signal"])
        cause = messages.signal_name(sig, lang)
        if sig in messages.CRASH_SIGNALS:
            return "crashed", ErrorInfo(
                "WorkerCrashed", messages.text("crashed", lang, cause=cause)
            )
        return "killed", ErrorInfo("WorkerKilled", messages.text("killed", lang, cause=cause))
    if "code" in status:
        return "exited", ErrorInfo("SystemExit", messages.text("exited", lang, code=status["code"]))
    return "killed", ErrorInfo("WorkerLost", messages.text("lost", lang))


def _memory_message(reply: dict[str, Any], lang: str, memory_mb: int) -> str:
    requested = reply.get("requested")
    detail = (
        messages.text("memory_detail", lang, size=messages.size_words(requested))
        if requested
        else ""
    )
    if str(reply.get("device", "cpu")).startswith("cuda") and reply.get("memory_cap"):
        limit = messages.size_words(int(reply["memory_cap"]))
    else:
        limit = f"{memory_mb} MB"
    return messages.text("memory", lang, limit=limit, detail=detail)


def status_words(status: dict[str, Any] | None) -> str:
    """Say how a process ended, for error messages: 'segmentation fault', 'exit code 3'."""
    if not status:
        return "no exit status"
    if "signal" in status:
        return messages.signal_name(int(status["signal"]))
    return f"exit code {status.get('code')}"
