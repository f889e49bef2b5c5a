"""Learner-facing sandbox messages in English and Chinese."""

from __future__ import annotations

import signal

from tutor.i18n import t

_SIGNAL_NAMES = {
    signal.SIGSEGV,
    signal.SIGABRT,
    signal.SIGBUS,
    signal.SIGFPE,
    signal.SIGILL,
    signal.SIGKILL,
    signal.SIGTERM,
}

CRASH_SIGNALS = frozenset(
    {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSYS}
)


def text(key: str, lang: str = "en", **fields: object) -> str:
    """Return the message ``key`` in ``lang`` (English when missing), formatted."""
    return t(f"sandbox.{key}", lang, **fields)


def signal_name(signum: int, lang: str = "en") -> str:
    """Name a signal in words, e.g. 'segmentation fault'."""
    if signum in _SIGNAL_NAMES:
        return t(f"sandbox.signal.{signal.Signals(signum).name}", lang)
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def size_words(nbytes: int) -> str:
    """Format a byte count for people: 372.5 GB, 40.0 MB."""
    value = float(nbytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{nbytes} bytes"


# The protections `doctor` and `/env` list, in order; their names are the catalogs'
# [sandbox.protection] table.
PROTECTIONS: tuple[str, ...] = (
    "files",
    "processes_outside",
    "signals",
    "file_size",
    "disk",
    "process_count",
    "memory",
    "snapshot",
    "references",
    "predicates",
)


def protection_name(key: str, lang: str = "en") -> str:
    """A protection's name in words."""
    return t(f"sandbox.protection.{key}", lang) if key in PROTECTIONS else key


def state_word(on: bool, lang: str = "en") -> str:
    """ "on" or "off" in ``lang``."""
    return t("sandbox.state_on" if on else "sandbox.state_off", lang)
