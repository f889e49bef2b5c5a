"""The lesson loader's machinery: the schema, line numbers in the raw text, and checks.

Private to :mod:`tutor.course.lesson`, which exposes ``load_lesson`` and ``load_course``.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable
from typing import Any

from tutor.course.lesson import (
    DETECTOR_IDS,
    KINDS,
    PROPS,
    Expect,
    FeedbackRule,
    Lesson,
    LessonError,
    Step,
    Text,
    Trap,
    Variant,
)

# ---------------------------------------------------------------- schema

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
}
_BASE = {"id", "kind", "title", "text"}
_KIND_KEYS = {
    "read": _BASE,
    "explore": _BASE | {"setup", "seed", "device", "hints"},
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
    },
    "quiz": _BASE
    | {"choices", "answer", "accept", "items", "explanation", "hints", "feedback", "traps"},
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
}
_FEEDBACK_KEYS = {
    "id": _STR,
    "message": _TEXT,
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


# ---------------------------------------------------------------- line numbers

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


# ---------------------------------------------------------------- the loader


class Loader:
    """Turns one parsed TOML document into a Lesson, collecting errors with lines."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.map = LineMap(text)
        self.errors: list[LessonError] = []

    def error(self, line: int, message: str, lint: bool = False) -> None:
        self.errors.append(LessonError(self.path, line, message, lint))

    def check_keys(
        self, table: dict[str, Any], allowed: Iterable[str], path: tuple[Any, ...], where: str
    ) -> None:
        allowed = sorted(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                if where.startswith("[[") and key in _STEP_KEYS:
                    hint += (
                        f"; `{key}` belongs to the step: put it above the step's first "
                        "[[steps.…]] table"
                    )
                self.error(self.map.key(path, key), f"unknown key `{key}` in {where}{hint}")

    def value(
        self,
        table: dict[str, Any],
        key: str,
        kind: str,
        path: tuple[Any, ...],
        required: bool = False,
        default: Any = None,
    ) -> Any:
        if key not in table:
            if required:
                self.error(self.map.table(path), f"missing `{key}`")
            return default
        raw = table[key]
        line = self.map.key(path, key)
        converted = self._convert(raw, kind, key, line)
        return default if converted is _BAD else converted

    def _convert(self, raw: Any, kind: str, key: str, line: int) -> Any:
        def bad(what: str) -> object:
            self.error(line, f"`{key}` must be {what}, not {type(raw).__name__} {raw!r:.40}")
            return _BAD

        if kind in (_STR, _CODE, _EXPR):
            if not isinstance(raw, str):
                return bad("a string")
            if kind != _STR:
                self._parse_code(raw, key, line, kind == _EXPR)
            return raw
        if kind == _INT:
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else bad("an integer")
        if kind == _NUM:
            ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
            return float(raw) if ok else bad("a number")
        if kind == _BOOL:
            return raw if isinstance(raw, bool) else bad("true or false")
        if kind == _STRS:
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list) or not all(isinstance(x, (str, int)) for x in raw):
                return bad("a list of strings")
            return tuple(str(x) for x in raw)
        if kind == _INTS:
            if not isinstance(raw, list) or not all(type(x) is int for x in raw):
                return bad("a list of integers")
            return tuple(raw)
        if kind == _TEXT:
            return self._text(raw, key, line)
        if kind == _TEXTS:
            return self._texts(raw, key, line)
        if kind == _TABLES:
            if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
                return bad(f"a list of tables ([[...{key}]])")
            return raw
        if kind == _ANSWER:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            if isinstance(raw, list) and all(type(x) is int for x in raw):
                return tuple(raw)
            return bad("a choice number or a list of item numbers")
        return raw

    def _parse_code(self, code: str, key: str, line: int, expr: bool) -> None:
        try:
            ast.parse(code, mode="eval" if expr else "exec")
        except SyntaxError as exc:
            offset = self.map.code_offset(line) + (exc.lineno or 1) - 1
            self.error(line + offset, f"`{key}` is not valid Python: {exc.msg}")

    def _text(self, raw: Any, key: str, line: int) -> Any:
        if isinstance(raw, str):
            raw = {"en": raw}
        if not isinstance(raw, dict):
            self.error(line, f"`{key}` must be a text table (`{key}.en = ...`, `{key}.zh = ...`)")
            return _BAD
        for lang in raw:
            if lang not in ("en", "zh"):
                self.error(line, f"unknown key `{key}.{lang}`: texts have `en` and `zh`")
        if not all(isinstance(v, str) for v in raw.values()):
            self.error(line, f"`{key}.en` and `{key}.zh` must be strings")
            return _BAD
        if not raw.get("en"):
            self.error(line, f"missing `{key}.en`")
        if not raw.get("zh"):
            self.error(line, f"missing Chinese translation `{key}.zh`", lint=True)
        return Text(raw.get("en", ""), raw.get("zh", ""))

    def _texts(self, raw: Any, key: str, line: int) -> Any:
        if isinstance(raw, list):
            raw = {"en": raw}
        if not isinstance(raw, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in raw.values()
        ):
            self.error(
                line, f"`{key}` must be lists of strings (`{key}.en = [...]`, `{key}.zh = [...]`)"
            )
            return _BAD
        for lang in raw:
            if lang not in ("en", "zh"):
                self.error(line, f"unknown key `{key}.{lang}`: texts have `en` and `zh`")
        en, zh = raw.get("en", []), raw.get("zh", [])
        if not en:
            self.error(line, f"missing `{key}.en`")
        if len(zh) != len(en):
            self.error(
                line, f"`{key}.zh` has {len(zh)} entries, `{key}.en` has {len(en)}", lint=True
            )
        return tuple(Text(e, zh[i] if i < len(zh) else "") for i, e in enumerate(en))

    # -- lesson and steps

    def lesson(self, doc: dict[str, Any]) -> Lesson | None:
        self.check_keys(doc, _LESSON_KEYS, (), "the lesson")
        lesson_id = self.value(doc, "id", _STR, (), required=True, default="")
        if lesson_id and not _ID_RE.match(lesson_id):
            self.error(
                self.map.key((), "id"),
                f"lesson id `{lesson_id}` may hold only lower-case letters, digits and '-'",
            )
        section = self.value(doc, "section", _INT, (), required=True, default=0)
        order = self.value(doc, "order", _INT, (), default=0)
        title = self.value(doc, "title", _TEXT, (), required=True, default=Text())
        summary = self.value(doc, "summary", _TEXT, (), default=Text())
        raw_steps = self.value(doc, "steps", _TABLES, (), required=True, default=[])
        steps: list[Step] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_steps):
            step = self.step(raw, ("steps", i))
            if step is None:
                continue
            if step.id in seen:
                self.error(self.map.key(("steps", i), "id"), f"duplicate step id `{step.id}`")
            seen.add(step.id)
            steps.append(step)
        if any(not e.lint for e in self.errors):
            return None
        return Lesson(lesson_id, section, title, tuple(steps), order, summary, self.path)

    def step(self, raw: dict[str, Any], path: tuple[Any, ...]) -> Step | None:
        kind = self.value(raw, "kind", _STR, path, required=True, default="read")
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, KINDS, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            self.error(
                self.map.key(path, "kind"),
                f"unknown step kind `{kind}`{hint}; kinds: {', '.join(KINDS)}",
            )
            return None
        self.check_keys(raw, _KIND_KEYS[kind], path, f"a {kind} step")
        get = {
            k: self.value(raw, k, t, path)
            for k, t in _STEP_KEYS.items()
            if k in _KIND_KEYS[kind] and k not in ("id", "kind")
        }
        step_id = self.value(raw, "id", _STR, path, required=True, default="")
        if get["title"] is None:
            self.error(self.map.table(path), "missing `title`")
        subs = {
            name: tuple(
                self.sub(t, name, (*path, name, j)) for j, t in enumerate(get.get(name) or ())
            )
            for name in _SUBTABLES
            if name in _KIND_KEYS[kind]
        }
        step = Step(
            id=step_id,
            kind=kind,
            title=get["title"] or Text(),
            text=get["text"] or Text(),
            setup=get.get("setup") or "",
            solution=get.get("solution") or "",
            check=get.get("check") or (),
            expects=subs.get("expect", ()),
            seed=get.get("seed"),
            device=get.get("device") or "any",
            watch=get.get("watch") or (),
            hints=get.get("hints") or (),
            feedback=subs.get("feedback", ()),
            traps=subs.get("traps", ()),
            variants=subs.get("variants", ()),
            choices=get.get("choices") or (),
            answer=get.get("answer"),
            accept=get.get("accept") or (),
            items=get.get("items") or (),
            explanation=get.get("explanation") or Text(),
            code=get.get("code") or "",
            line=self.map.table(path),
        )
        self.rules(step, raw, path)
        return step

    def sub(self, raw: dict[str, Any], name: str, path: tuple[Any, ...]) -> Any:
        keys = _SUBTABLES[name]
        self.check_keys(raw, keys, path, f"[[steps.{name}]]")
        vals = {k: self.value(raw, k, t, path) for k, t in keys.items() if k in raw}
        line = self.map.table(path)
        if name == "expect":
            return Expect(
                **{
                    **vals,
                    "uses": vals.get("uses") or (),
                    "message": vals.get("message") or Text(),
                    "line": line,
                }
            )
        if name == "feedback":
            fid = self.value(raw, "id", _STR, path, required=True, default="")
            msg = self.value(raw, "message", _TEXT, path, required=True, default=Text())
            rest = {k: v for k, v in vals.items() if k not in ("id", "message")}
            return FeedbackRule(fid, msg or Text(), **rest, line=line)
        if name == "traps":
            answer = vals.pop("answer", None)
            return Trap(**vals, answer=None if answer is None else str(answer), line=line)
        return Variant(
            setup=vals.get("setup"),
            seed=vals.get("seed"),
            message=vals.get("message") or Text(),
            line=line,
        )

    def rules(self, step: Step, raw: dict[str, Any], path: tuple[Any, ...]) -> None:
        """Per-kind requirements; course-quality rules are lint (the lesson still loads)."""
        line = self.map.table(path)
        if step.id and not _ID_RE.match(step.id):
            self.error(
                self.map.key(path, "id"),
                f"step id `{step.id}` may hold only lower-case letters, digits and '-'",
            )
        if step.device not in ("any", "cpu", "gpu"):
            self.error(
                self.map.key(path, "device"),
                f'`device` must be "any", "cpu" or "gpu", not {step.device!r}',
            )
        if step.kind == "code":
            if "solution" not in raw:
                self.error(line, "missing `solution` (a code step needs a reference solution)")
            if not step.check and not step.expects:
                self.error(line, "a code step needs `check = [...]` or [[steps.expect]] tables")
            if len(step.hints) < 2:
                self.error(line, "a code step needs at least two hints", lint=True)
            if len(step.traps) < 2:
                self.error(line, "a code step needs at least two [[steps.traps]]", lint=True)
            for t in step.traps:
                if t.code is None:
                    self.error(t.line, "a trap of a code step needs `code`")
        if step.kind in ("quiz", "predict"):
            self.answer_rules(step, raw, path)
            for t in step.traps:
                if t.answer is None:
                    self.error(t.line, f"a trap of a {step.kind} step needs `answer`")
        if step.kind == "predict" and "code" not in raw:
            self.error(line, "missing `code` (the code the learner reads)")
        for e in step.expects:
            self.expect_rules(e)
        ids = {f.id for f in step.feedback}
        for t in step.traps:
            if t.feedback and t.feedback not in ids and t.feedback not in DETECTOR_IDS:
                close = difflib.get_close_matches(t.feedback, sorted(ids | DETECTOR_IDS), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                self.error(t.line, f"trap promises unknown feedback `{t.feedback}`{hint}")

    def answer_rules(self, step: Step, raw: dict[str, Any], path: tuple[Any, ...]) -> None:
        line = self.map.table(path)
        if step.choices:
            if not isinstance(step.answer, int) or not 1 <= step.answer <= len(step.choices):
                self.error(
                    self.map.key(path, "answer"),
                    f"`answer` must be a choice number 1..{len(step.choices)}",
                )
        elif step.items:
            if sorted(step.answer or ()) != list(range(1, len(step.items) + 1)):
                self.error(
                    self.map.key(path, "answer"),
                    "`answer` must list every item number once, in the right order",
                )
        elif not step.accept and step.kind == "quiz":
            self.error(
                line, "a quiz step needs `choices` + `answer`, `accept`, or `items` + `answer`"
            )

    def expect_rules(self, e: Expect) -> None:
        if not (
            e.var
            or e.raises
            or e.output is not None
            or e.output_contains
            or e.same_output
            or e.must_call
            or e.must_not_call
            or e.predicate
        ):
            self.error(
                e.line,
                "this [[steps.expect]] checks nothing: give `var`, `raises`, "
                "`output`, `must_call` or `predicate`",
            )
        for p in e.props or ():
            if p not in PROPS:
                close = difflib.get_close_matches(p, PROPS, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                self.error(e.line, f"unknown property `{p}` in `props`{hint}")


_BAD = object()
