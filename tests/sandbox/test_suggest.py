"""The "Did you mean" of tracebacks built by the worker, against the interpreter's own printer.

Before Python 3.12 only ``sys.__excepthook__`` (C) suggests a name; the worker's
tracebacks come from the ``traceback`` module, so tutor.sandbox._suggest makes the
same suggestion. Each case is printed both ways and the last lines must agree.
"""

from __future__ import annotations

import io
import math
import sys

import pytest

from tutor.sandbox.tracebacks import SourceNames, format_error

CASES = [
    "learning_rat",
    "Learning_rate",
    "lerning_rate",
    "learningrate",
    "lenn([])",
    "prnt(1)",
    "math.sqr",
    "math.SQRT",
    "math.pii",
    "[].apend",
    "{}.item",
    "'abc'.uper()",
    "zz",
    "x",
    "torch_tensor",
    "epochss",
    "a_very_long_name_that_matches_nothing_at_all_anywhere",
    "np.arange",
]


def _raise(code: str) -> BaseException:
    namespace = {"learning_rate": 0.1, "epochs": 3, "math": math, "torch_tensors": []}
    try:
        exec(compile(code, "<case>", "exec", dont_inherit=True), namespace)
    except Exception as exc:  # noqa: BLE001 - the error is what we compare
        return exc
    raise AssertionError("expected an error")


def _printed_by_python(exc: BaseException) -> str:
    saved, sys.stderr = sys.stderr, io.StringIO()
    try:
        sys.__excepthook__(type(exc), exc, exc.__traceback__)
        return sys.stderr.getvalue().rstrip().splitlines()[-1]
    finally:
        sys.stderr = saved


@pytest.mark.parametrize("code", CASES)
def test_suggestion_is_the_interpreters(code: str) -> None:
    exc = _raise(code)
    names = SourceNames()
    names.add_root("/")
    ours = format_error(exc, names)["traceback"].rstrip().splitlines()[-1]
    assert ours == _printed_by_python(exc)
