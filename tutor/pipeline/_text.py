"""The pipeline's words (the ``[pipeline]`` catalog table) and a run's error in one line."""

from __future__ import annotations

from typing import Any

from tutor.i18n import t


def _msg(key: str, lang: str, **fields: Any) -> str:
    return t(f"pipeline.{key}", lang, **fields)


def _error_text(run: Any) -> str:
    if run.error is not None:
        return f"{run.error.type}: {run.error.message}"
    return str(run.note or run.outcome)
