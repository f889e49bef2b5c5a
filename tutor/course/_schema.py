"""The lesson format's schema: which keys each table takes and the kind of each value.

Read by tutor.course._loader; docs/lesson-format.md describes it for authors.
"""

from __future__ import annotations

import re

_TEXT, _TEXTS, _STR, _STRS, _INT, _NUM, _BOOL, _CODE, _EXPR, _ANY, _TABLES, _INTS, _ANSWER = (
    "text",
    "texts",
    "str",
    "strs",
    "int",
    "num",
    "bool",
    "code",
    "expr",
    "any",
    "tables",
    "ints",
    "answer",
)

_LESSON_KEYS = {
    "id": _STR,
    "section": _INT,
    "order": _INT,
    "title": _TEXT,
    "summary": _TEXT,
    "steps": _TABLES,
}
_STEP_KEYS = {
    "id": _STR,
    "kind": _STR,
    "title": _TEXT,
    "text": _TEXT,
    "setup": _CODE,
    "solution": _CODE,
    "check": _STRS,
    "quiet": _STRS,
    "seed": _INT,
    "device": _STR,
    "watch": _STRS,
    "hints": _TEXTS,
    "expect": _TABLES,
    "feedback": _TABLES,
    "traps": _TABLES,
    "variants": _TABLES,
    "choices": _TEXTS,
    "answer": _ANSWER,
    "accept": _STRS,
    "items": _TEXTS,
    "explanation": _TEXT,
    "code": _CODE,
    "time_limit": _NUM,
    "select": _STR,
}
_BASE = {"id", "kind", "title", "text"}
_KIND_KEYS = {
    "read": _BASE,
    "explore": _BASE | {"setup", "seed", "device", "hints", "quiet"},
    "code": _BASE
    | {
        "setup",
        "solution",
        "check",
        "seed",
        "device",
        "watch",
        "hints",
        "expect",
        "feedback",
        "traps",
        "variants",
        "explanation",
        "quiet",
        "time_limit",
    },
    "quiz": _BASE
    | {
        "choices",
        "answer",
        "accept",
        "items",
        "explanation",
        "hints",
        "feedback",
        "traps",
        "select",
    },
    "predict": _BASE
    | {
        "code",
        "setup",
        "seed",
        "device",
        "choices",
        "answer",
        "accept",
        "explanation",
        "hints",
        "feedback",
        "traps",
    },
}
_EXPECT_KEYS = {
    "var": _STR,
    "props": _STRS,
    "rtol": _NUM,
    "atol": _NUM,
    "type": _STR,
    "shape": _INTS,
    "dtype": _STR,
    "device": _STR,
    "values": _ANY,
    "requires_grad": _BOOL,
    "is_leaf": _BOOL,
    "grad_fn": _STR,
    "grad": _ANY,
    "shares_memory_with": _STR,
    "independent_of": _STR,
    "raises": _STR,
    "match": _STR,
    "output": _STR,
    "output_contains": _STRS,
    "same_output": _BOOL,
    "must_call": _STRS,
    "must_not_call": _STRS,
    "predicate": _EXPR,
    "uses": _STRS,
    "message": _TEXT,
    "id": _STR,
    "expected": _TEXT,
    "near": _ANY,
    "within": _NUM,
    "at_least": _NUM,
    "at_most": _NUM,
    "finite": _BOOL,
    "layers": _STRS,
    "params": _INT,
    "param_shapes": _ANY,
    "training": _BOOL,
    "lr": _NUM,
    "hyper": _ANY,
    "optimizes": _STR,
    "same_values_as": _STR,
    "differs_from": _STR,
}
_FEEDBACK_KEYS = {
    "id": _STR,
    "message": _TEXT,
    "hint": _TEXT,
    "calls": _STRS,
    "not_calls": _STRS,
    "failed": _STRS,
    "predicate": _EXPR,
    "uses": _STRS,
    "error": _STR,
    "error_match": _STRS,
    "output_contains": _STRS,
    "answer": _STRS,
}
_TRAP_KEYS = {
    "code": _CODE,
    "answer": _ANY,
    "feedback": _STR,
    "fails": _STR,
    "without_gpu": _BOOL,
}
_VARIANT_KEYS = {"setup": _CODE, "seed": _INT, "message": _TEXT}
_SUBTABLES = {
    "expect": _EXPECT_KEYS,
    "feedback": _FEEDBACK_KEYS,
    "traps": _TRAP_KEYS,
    "variants": _VARIANT_KEYS,
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
