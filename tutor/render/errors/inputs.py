"""Standard input: ``input()`` where no one can type (code at the tutor's prompt).

One family of error explanations: each ``@explains`` function turns a message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _r, explains


@explains("input-eof", _r(r"^EOF when reading a line$"), order=400)
def _input_eof(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    return Msg("errors.input_eof"), None
