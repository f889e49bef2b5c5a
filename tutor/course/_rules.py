"""The loader's rules for part two's keys: several right answers, bounds, modules, optimizers,
expectation ids. Each problem goes to ``error`` (the loader adds the file and line)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tutor.course.lesson import Expect

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_VALUE_KEYS = (
    "near",
    "at_least",
    "at_most",
    "finite",
    "layers",
    "params",
    "param_shapes",
    "training",
    "lr",
    "hyper",
    "optimizes",
    "same_values_as",
    "differs_from",
)


def _numbers(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    return isinstance(x, list) and bool(x) and all(_numbers(v) for v in x)


def answers(get: dict[str, Any], error: Callable[[str], None]) -> tuple[Any, tuple[Any, ...], str]:
    """``answer`` as (the first right answer, every right answer, ``select``): a list of
    choice numbers is a set of accepted choices, a list of lists a set of right orders."""
    raw = get.get("answer")
    select = get.get("select") or ""
    if select not in ("", "all"):
        error(f'`select` must be "all", not {select!r}')
        select = ""
    if raw is None:
        return None, (), select
    if get.get("choices") and isinstance(raw, tuple):
        if select == "all":
            return raw, (raw,), select
        return (raw[0] if raw else None), raw, select
    if get.get("items") and raw and isinstance(raw[0], tuple):
        return raw[0], raw, select
    if select:
        error("`select` needs `choices` and a list `answer`")
    return raw, (raw,), select


def value_rules(e: Expect, error: Callable[[str], None]) -> None:
    """Problems with an expectation's part-two keys."""
    named = [k for k in _VALUE_KEYS if getattr(e, k) is not None]
    if named and not e.var:
        error(f"`{named[0]}` needs `var`: the name whose value it checks")
    if e.within is not None and e.near is None:
        error("`within` needs `near`: the value to be within it of")
    if e.within is not None and e.within < 0:
        error("`within` must be 0 or more")
    if e.near is not None and not _numbers(e.near):
        error("`near` must be a number or a (nested) list of numbers")
    if e.param_shapes is not None and not (
        isinstance(e.param_shapes, dict)
        and all(
            isinstance(v, list) and all(type(n) is int for n in v) for v in e.param_shapes.values()
        )
    ):
        error('`param_shapes` must be a table of shapes: { "0.weight" = [32, 64] }')
    if e.hyper is not None and not (
        isinstance(e.hyper, dict)
        and all(isinstance(v, (int, float, bool)) for v in e.hyper.values())
    ):
        error("`hyper` must be a table of numbers: { momentum = 0.9 }")
    if e.id is not None and not _ID_RE.match(e.id):
        error(f"expectation id `{e.id}` may hold only lower-case letters, digits and '-'")
    if e.id is not None and e.var:
        error(
            "`id` names a predicate, must_call, output or raises table; a "
            "`var` table's checks are named after the var",
        )
