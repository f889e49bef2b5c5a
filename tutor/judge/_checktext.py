"""The checker's messages to the learner, in English and Chinese (private to tutor.judge.checks)."""

from __future__ import annotations

from typing import Any

from tutor.i18n import t


def msg(key: str, lang: str, **fields: Any) -> str:
    """A checker message in ``lang`` (English or Chinese), formatted."""
    return t(f"checks.{key}", lang, **fields)
