"""The lesson loader's machinery: the schema, line numbers in the raw text, and checks.

``load_lesson`` and ``load_course`` (re-exported by :mod:`tutor.course`) read files;
errors read ``path:line: message``.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from tutor.course import _rules
from tutor.course._lines import LineMap, unclosed_from
from tutor.course._schema import (
    _ANSWER,
    _BOOL,
    _CODE,
    _EXPR,
    _ID_RE,
    _INT,
    _INTS,
    _KIND_KEYS,
    _LESSON_KEYS,
    _NUM,
    _STEP_KEYS,
    _STR,
    _STRS,
    _SUBTABLES,
    _TABLES,
    _TEXT,
    _TEXTS,
)
from tutor.course.lesson import (
    DETECTOR_IDS,
    KINDS,
    PROPS,
    SECTIONS,
    Expect,
    FeedbackRule,
    LeftOut,
    Lesson,
    LessonError,
    Step,
    Text,
    Trap,
    Variant,
)
from tutor.i18n import LANGS, t


def _listed(items: list[str]) -> str:
    """``a and b``, ``a, b and c``: the loader speaks English to authors."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
            if (
                isinstance(raw, list)
                and raw
                and all(isinstance(r, list) and all(type(x) is int for x in r) for r in raw)
            ):
                return tuple(tuple(r) for r in raw)  # several right orders
            return bad("a choice number, a list of them, or a list of item numbers (or of lists)")
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
        self._langs(raw, key, line)
        if not all(isinstance(v, str) for v in raw.values()):
            self.error(line, f"{_listed([f'`{key}.{lang}`' for lang in LANGS])} must be strings")
            return _BAD
        if not raw.get("en"):
            self.error(line, f"missing `{key}.en`")
        for lang in LANGS[1:]:
            if not raw.get(lang):
                name = t("language.english_name", lang)
                self.error(line, f"missing {name} translation `{key}.{lang}`", lint=True)
        return Text(**{lang: v for lang, v in raw.items() if lang in LANGS})

    def _langs(self, raw: dict[str, Any], key: str, line: int) -> None:
        """A text table's keys must be languages there is a catalog for."""
        for lang in raw:
            if lang not in LANGS:
                known = _listed([f"`{lang}`" for lang in LANGS])
                self.error(line, f"unknown key `{key}.{lang}`: texts have {known}")

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
        self._langs(raw, key, line)
        en = raw.get("en", [])
        if not en:
            self.error(line, f"missing `{key}.en`")
        more = {lang: raw.get(lang, []) for lang in LANGS[1:]}
        for lang, texts in more.items():
            if len(texts) != len(en):
                self.error(
                    line,
                    f"`{key}.{lang}` has {len(texts)} entries, `{key}.en` has {len(en)}",
                    lint=True,
                )
        return tuple(
            Text(e, **{lang: texts[i] for lang, texts in more.items() if i < len(texts)})
            for i, e in enumerate(en)
        )

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
        if not SECTIONS[0] <= section <= SECTIONS[-1]:
            self.error(
                self.map.key((), "section"),
                f"`section` must be {SECTIONS[0]}..{SECTIONS[-1]} (the syllabus's sections, then a "
                f"teacher's own at 90..99), not {section}",
            )
        order = self.value(doc, "order", _INT, (), default=0)
        title = self.value(doc, "title", _TEXT, (), required=True, default=Text())
        summary = self.value(doc, "summary", _TEXT, (), default=Text())
        minutes = self.minutes(doc, ())
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
        return Lesson(
            lesson_id, section, title, tuple(steps), order, summary, self.path, minutes=minutes
        )

    def minutes(self, table: dict[str, Any], path: tuple[Any, ...]) -> float | None:
        """An author's time estimate in minutes: a number above 0, or None."""
        value = self.value(table, "minutes", _NUM, path)
        if value is not None and value <= 0:
            self.error(self.map.key(path, "minutes"), "`minutes` must be more than 0")
            return None
        return None if value is None else float(value)

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
        answer, answers, select = self.answers(get, kind, path)
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
            answer=answer,
            answers=answers,
            select=select,
            time_limit=get.get("time_limit"),
            accept=get.get("accept") or (),
            items=get.get("items") or (),
            explanation=get.get("explanation") or Text(),
            code=get.get("code") or "",
            minutes=self.minutes(raw, path),
            quiet=self.quiet(get.get("quiet") or (), path),
            line=self.map.table(path),
        )
        self.rules(step, raw, path)
        return step

    def answers(
        self, get: dict[str, Any], kind: str, path: tuple[Any, ...]
    ) -> tuple[Any, tuple[Any, ...], str]:
        return _rules.answers(get, lambda m: self.error(self.map.key(path, "select"), m))

    def quiet(self, ids: tuple[str, ...], path: tuple[Any, ...]) -> tuple[str, ...]:
        """``quiet = [...]``: built-in feedback ids (detectors, error explanations) to turn off."""
        for unknown in [i for i in ids if i not in DETECTOR_IDS]:
            known = ", ".join(sorted(DETECTOR_IDS))
            self.error(
                self.map.key(path, "quiet"),
                f"unknown feedback id `{unknown}` in `quiet`; the built-in ids are: {known}",
            )
        return tuple(i for i in ids if i in DETECTOR_IDS)

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
        if step.time_limit is not None and not 0 < step.time_limit <= 600:
            self.error(self.map.key(path, "time_limit"), "`time_limit` must be 1..600 seconds")
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
        ids: set[str] = set()
        for f in step.feedback:
            if f.id and f.id in ids:
                self.error(f.line, f"duplicate feedback id `{f.id}` in step `{step.id}`")
            ids.add(f.id)
        for t in step.traps:
            if t.feedback and t.feedback not in ids and t.feedback not in DETECTOR_IDS:
                close = difflib.get_close_matches(t.feedback, sorted(ids | DETECTOR_IDS), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else _known(ids)
                self.error(t.line, f"trap promises unknown feedback `{t.feedback}`{hint}")

    def answer_rules(self, step: Step, raw: dict[str, Any], path: tuple[Any, ...]) -> None:
        line = self.map.table(path)
        if step.choices:
            numbers = step.answers[0] if step.select == "all" else step.answers
            if not numbers or not all(
                isinstance(n, int) and 1 <= n <= len(step.choices) for n in numbers
            ):
                self.error(
                    self.map.key(path, "answer"),
                    f"`answer` must be a choice number 1..{len(step.choices)} (or a list of them)",
                )
        elif step.items:
            for order in step.answers or [()]:
                if sorted(order) != list(range(1, len(step.items) + 1)):
                    self.error(
                        self.map.key(path, "answer"),
                        "`answer` must list every item number once, in the right order "
                        "(or be a list of such orders)",
                    )
                    break
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
        _rules.value_rules(e, lambda m: self.error(e.line, m))


_BAD = object()
_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)")
_OPENS = re.compile(r"\"\"\"|'''|[\"'\[{]")


def load_lesson(path: str | Path) -> tuple[Lesson | None, list[LessonError]]:
    """Load one lesson file: the lesson (None when it has real errors) and every problem found."""
    path_str = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [LessonError(path_str, 1, f"cannot read the file: {exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_not_utf8(path_str, raw, exc)]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_error(path_str, text, exc)]
    loader = Loader(path_str, text)
    lesson = loader.lesson(doc)
    return lesson, loader.errors


def _not_utf8(path: str, raw: bytes, exc: UnicodeDecodeError) -> LessonError:
    """Where the first byte that is not UTF-8 sits: its line, and its column in characters."""
    start = raw.rfind(b"\n", 0, exc.start) + 1
    column = len(raw[start : exc.start].decode("utf-8", errors="replace")) + 1
    return LessonError(
        path,
        raw.count(b"\n", 0, exc.start) + 1,
        f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded (save it as UTF-8)",
        column=column,
    )


def _syntax_error(path: str, text: str, exc: Exception) -> LessonError:
    """A TOML syntax error at its line and column; one found only at the end of the document
    (a string or array never closed) at the line and column where it opens."""
    found = _TOML_AT.search(str(exc))
    message = _TOML_AT.sub("", str(exc)).strip()
    if found and found.group(1):
        line, column = int(found.group(1)), int(found.group(2))
        return LessonError(path, line, f"TOML syntax error: {message}", column=column)
    line = unclosed_from(text)
    raw_line = text.splitlines()[line - 1] if text.splitlines() else ""
    key, equals, value = raw_line.partition("=")
    opening = _OPENS.search(value)
    column = len(key) + len(equals) + opening.start() + 1 if opening else 0
    if message.startswith("Unterminated string"):
        message += ": it opens here and is never closed"
    return LessonError(path, line, f"TOML syntax error: {message}", column=column)


def lesson_files(paths: Iterable[str | Path]) -> list[Path]:
    """The lesson files under ``paths`` (files, or folders scanned for ``*.toml``), sorted."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.glob("*.toml") if f.name != "glossary.toml")
        else:
            files.append(p)
    return files


def load_course(paths: Iterable[str | Path]) -> tuple[list[Lesson], list[LessonError]]:
    """Load every lesson under ``paths``; a broken lesson never stops the others loading."""
    lessons: list[Lesson] = []
    errors: list[LessonError] = []
    seen: dict[str, str] = {}
    for f in lesson_files(paths):
        lesson, errs = load_lesson(f)
        errors += errs
        if lesson is None:
            continue
        if lesson.id in seen:
            line = LineMap(f.read_text(encoding="utf-8")).key((), "id")
            errors.append(
                LessonError(
                    str(f), line, f"duplicate lesson id `{lesson.id}` (also in {seen[lesson.id]})"
                )
            )
            continue
        seen[lesson.id] = str(f)
        lessons.append(lesson)
    lessons.sort(key=lambda lesson: (lesson.section, lesson.order, Path(lesson.path).name))
    return lessons, errors


_ID_LINE = re.compile(r"""^\s*id\s*=\s*["']([^"']*)["']""", re.MULTILINE)


def left_out(lessons: Iterable[Lesson], errors: Iterable[LessonError]) -> list[LeftOut]:
    """The lesson files that ``load_course`` left out (errors that are not lint), each with its
    errors and the lesson id it declares (read from the text when it does not parse)."""
    loaded = {lesson.path for lesson in lessons}
    found: dict[str, list[LessonError]] = {}
    for error in errors:
        if not error.lint and error.path not in loaded:
            found.setdefault(error.path, []).append(error)
    return [LeftOut(path, _declared_id(path), tuple(errs)) for path, errs in found.items()]


def _declared_id(path: str) -> str:
    """The first ``id = "..."`` before any table header: the lesson's own id."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    head = re.split(r"^\s*\[", text, maxsplit=1, flags=re.MULTILINE)[0]
    match = _ID_LINE.search(head)
    return match.group(1) if match else ""


def find_step(
    lessons: Iterable[Lesson], lesson_id: str, step_id: str
) -> tuple[Lesson | None, Step | None]:
    """The lesson with ``lesson_id`` (or its file name stem) and its step ``step_id``."""
    for lesson in lessons:
        if lesson_id in (lesson.id, Path(lesson.path).stem):
            return lesson, lesson.step(step_id)
    return None, None


def _known(step_ids: set[str]) -> str:
    """The feedback ids a trap may promise: the step's own, then the built-in ones."""
    own = ", ".join(sorted(i for i in step_ids if i)) or "none"
    return f"; this step's feedback ids: {own}; the built-in ids: " + ", ".join(
        sorted(DETECTOR_IDS)
    )
