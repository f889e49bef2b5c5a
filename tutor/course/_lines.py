"""Line numbers in a lesson's raw TOML text, so every problem reads ``path:line: message``."""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_HEADER_RE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")


class LineMap:
    """Finds the line of a table or key by scanning the raw TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [
            (i + 1, m.group(1).replace(" ", ""))
            for i, line in enumerate(self.lines)
            if (m := _HEADER_RE.match(line))
        ]

    def _span(self, path: tuple[Any, ...]) -> tuple[int, int]:
        """The (first, last) line of the table at ``path`` (e.g. ("steps", 2, "traps", 0))."""
        end = len(self.lines)
        if not path:
            return 1, (self.headers[0][0] - 1 if self.headers else end)
        step_heads = [n for n, name in self.headers if name == "steps"]
        if path[1] >= len(step_heads):
            return 1, end
        start = step_heads[path[1]]
        nxt = [n for n in step_heads if n > start]
        stop = nxt[0] - 1 if nxt else end
        if len(path) == 2:
            after = [n for n, _ in self.headers if n > start]
            return start, (after[0] - 1 if after else end)
        subs = [n for n, name in self.headers if name == f"steps.{path[2]}" and start < n <= stop]
        if path[3] >= len(subs):
            return start, stop
        sub = subs[path[3]]
        after = [n for n, _ in self.headers if n > sub]
        return sub, (after[0] - 1 if after else end)

    def table(self, path: tuple[Any, ...]) -> int:
        return self._span(path)[0]

    def key(self, path: tuple[Any, ...], key: str) -> int:
        first, last = self._span(path)
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*[.=]")
        for n in range(first, last + 1):
            if pattern.match(self.lines[n - 1]):
                return n
        return first

    def code_offset(self, line: int) -> int:
        """1 when the string on ``line`` opens with triple quotes and a newline (TOML drops it)."""
        raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        value = raw.split("=", 1)[-1].strip()
        return 1 if value in ('"""', "'''") else 0


def unclosed_from(text: str) -> int:
    """The line where the construct left open starts: the shortest run of lines whose parse
    runs off its end (found by bisection, so a long file costs a dozen parses); 1-based."""
    lines = text.splitlines(keepends=True)

    def runs_off(n: int) -> bool:
        try:
            tomllib.loads("".join(lines[:n]))
        except tomllib.TOMLDecodeError as exc:
            return "end of document" in str(exc)
        return False

    low, high = 1, max(len(lines), 1)  # the whole text runs off its end
    while low < high:
        mid = (low + high) // 2
        if runs_off(mid):
            high = mid
        else:
            low = mid + 1
    return low
