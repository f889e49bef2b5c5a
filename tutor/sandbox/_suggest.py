"""The "Did you mean: 'x'?" that Python 3.10 and 3.11 add to a NameError or AttributeError.

Before 3.12 only the interpreter's own printer (C, ``Python/suggestions.c``)
makes the suggestion; the ``traceback`` module does not. This is the same
algorithm (a Levenshtein distance where a case flip costs half a move), so a
traceback built with ``traceback.TracebackException`` reads as Python prints it.
"""

from __future__ import annotations

import sys
from typing import Any

_MAX_CANDIDATE_ITEMS = 750
_MAX_STRING_SIZE = 40
_MOVE_COST = 2
_CASE_COST = 1

NEEDED = sys.version_info < (3, 12)  # from 3.12 the traceback module suggests by itself


def suggestion(exc: BaseException) -> str | None:
    """The name Python would suggest for ``exc``, or None."""
    try:
        if isinstance(exc, AttributeError):
            return _for_attribute(exc)
        if isinstance(exc, NameError):
            return _for_name(exc)
    except Exception:  # noqa: BLE001 - a learner __dir__ may raise; Python then says nothing
        return None
    return None


def _for_attribute(exc: AttributeError) -> str | None:
    name = getattr(exc, "name", None)
    obj = getattr(exc, "obj", None)
    if not isinstance(name, str) or obj is None:
        return None
    return _closest(list(dir(obj)), name)


def _for_name(exc: NameError) -> str | None:
    name = getattr(exc, "name", None)
    tb = exc.__traceback__
    if not isinstance(name, str) or tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    for pool in (frame.f_code.co_varnames, frame.f_globals, frame.f_builtins):
        found = _closest(list(pool), name)
        if found is not None:
            return found
    return None


def _closest(candidates: list[Any], name: str) -> str | None:
    if len(candidates) >= _MAX_CANDIDATE_ITEMS:
        return None
    best: str | None = None
    best_distance = sys.maxsize
    for item in candidates:
        if not isinstance(item, str) or item == name:
            continue
        # No more than a third of the characters involved may change (sizes in UTF-8 bytes).
        size = len(name.encode("utf-8", "surrogatepass")) + len(
            item.encode("utf-8", "surrogatepass")
        )
        limit = min((size + 3) * _MOVE_COST // 6, best_distance - 1)
        distance = _distance(name, item, limit)
        if distance <= limit and (best is None or distance < best_distance):
            best, best_distance = item, distance
    return best


def _distance(a: str, b: str, limit: int) -> int:
    """The edit distance of ``a`` and ``b`` (UTF-8 bytes, as Python counts), or limit + 1."""
    x, y = a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    start = 0
    while start < len(x) and start < len(y) and x[start] == y[start]:
        start += 1
    x, y = x[start:], y[start:]
    end = 0
    while end < len(x) and end < len(y) and x[-1 - end] == y[-1 - end]:
        end += 1
    if end:
        x, y = x[:-end], y[:-end]
    if not x or not y:
        return (len(x) + len(y)) * _MOVE_COST
    if len(x) > _MAX_STRING_SIZE or len(y) > _MAX_STRING_SIZE:
        return limit + 1
    if len(y) < len(x):
        x, y = y, x
    if (len(y) - len(x)) * _MOVE_COST > limit:
        return limit + 1
    row = [(i + 1) * _MOVE_COST for i in range(len(x))]
    result = 0
    for b_index, code in enumerate(y):
        distance = result = b_index * _MOVE_COST
        minimum = sys.maxsize
        for index, char in enumerate(x):
            substitute = distance + _byte_cost(code, char)
            distance = row[index]
            result = min(min(result, distance) + _MOVE_COST, substitute)
            row[index] = result
            minimum = min(minimum, result)
        if minimum > limit:
            return limit + 1
    return result


def _byte_cost(a: int, b: int) -> int:
    # As suggestions.c: same low five bits and equal once ASCII letters are lower-cased.
    if (a & 31) != (b & 31):
        return _MOVE_COST
    if a == b:
        return 0
    if 65 <= a <= 90:
        a += 32
    if 65 <= b <= 90:
        b += 32
    return _CASE_COST if a == b else _MOVE_COST
