"""The Chinese text follows docs/translation-zh.md: its typography and one term per concept.

``lint_zh`` checks one string and returns what is wrong with it; ``SOURCES`` names
every place Chinese text comes from, each a function yielding ``(where, text)``: the
course's lessons and glossary, every entry of the tutor's zh catalog rendered with
sample values, and the Chinese the tutor assembles by code (error explanations,
detector diagnoses, verdict tables, pictures, /help, /graph, the progress line) built
from representative inputs, so a sentence put together from phrases is linted as the
learner reads it.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText
from rich.tree import Tree

from tutor import i18n
from tutor.course import load_lesson
from tutor.course.files import builtin_dir
from tutor.course.lesson import Lesson, Step, Text
from tutor.judge import graph, snapshot
from tutor.judge.checks import run_checks
from tutor.judge.snapshot import Value
from tutor.progress import Notice
from tutor.render import chat, docstring, errors, pictures, tables
from tutor.session.ask import load_glossary

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "translation-zh.md"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef“”‘’…"
_CODE = "\ue000"  # stands in for an inline code span, so a span still has neighbours
_HAS_HAN = re.compile(f"[{_HAN}]")
_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.S | re.M)
_INLINE = re.compile(r"(`+)(.+?)\1", re.S)


@dataclass(frozen=True)
class Finding:
    """One problem in one string: the rule, the text around it and what to do instead."""

    rule: str
    excerpt: str
    advice: str

    def __str__(self) -> str:
        return f"[{self.rule}] …{self.excerpt}…: {self.advice}"


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: re.Pattern[str]
    advice: str


_RULES = (
    _Rule(
        "half-width-punct",
        re.compile(f"[{_HAN}] *[,;:?!]|[,;:?!] *[{_HAN}]"),
        "full-width ，；：？！ next to Chinese",
    ),
    _Rule(
        "half-width-paren",
        re.compile(f"[{_HAN}][()]|[()][{_HAN}]|\\([^()]*[{_HAN}][^()]*\\)"),
        "full-width （） around Chinese, and a space between a shape and Chinese",
    ),
    _Rule("ascii-quote", re.compile(f"\"|[{_HAN}] *'|' *[{_HAN}]"), "Chinese quotes “…”"),
    _Rule(
        "space-before-code",
        re.compile(f"[{_HAN}]{_CODE}|{_CODE}[{_HAN}]"),
        "a space between Chinese and inline code",
    ),
    _Rule(
        "space-before-latin",
        re.compile(f"[{_HAN}][A-Za-z0-9]|[A-Za-z0-9][{_HAN}]"),
        "a space between Chinese and Latin letters or digits",
    ),
    _Rule(
        "times-not-x",
        re.compile(r"(?<![\w.])(?:\d+|[nm]) ?x ?(?:\d+|[nm])(?![\w.])|[行列]数? ?x ?[行列]"),
        "× for sizes, without spaces: 3×4",
    ),
    _Rule(
        "half-width-list",
        re.compile(f"[{_HAN}] *\\d+(?:, ?\\d+)+ *[{_HAN}]"),
        "a list of numbers in a Chinese sentence takes 、: 第 0、2 维",
    ),
    _Rule(
        "space-between-chinese",
        re.compile(f"[{_HAN}] +[{_HAN}]"),
        "no space between two Chinese characters",
    ),
    _Rule(
        "half-width-aside",
        re.compile(f"[{_HAN}] *\\((?!\\)|(?:[A-Za-z0-9_.-]+, ?)+[A-Za-z0-9_.-]*\\))"),
        "full-width （） around an aside after Chinese; only a shape such as (3, 2) stays",
    ),
    _Rule("ascii-ellipsis", re.compile(r"\.\.\."), "the ellipsis …"),
    _Rule("not-equal", re.compile(r"!="), "≠ in prose"),
)


@cache
def avoided_terms() -> dict[str, str]:
    """Every term the guide's table says to avoid, mapped to the term to use instead."""
    terms: dict[str, str] = {}
    header: list[str] | None = None
    for line in GUIDE.read_text(encoding="utf-8").split("## Terms", 1)[1].splitlines():
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            row = dict(zip(header, cells, strict=True))
            for term in re.findall(r"`([^`]+)`", row["avoid"]):
                terms[term] = row["Chinese"]
    return terms


def prose(text: str) -> str:
    """``text`` without fenced code blocks, each inline code span replaced by one marker."""
    return _INLINE.sub(_CODE, _FENCE.sub("", text))


def lint_zh(text: str) -> list[Finding]:
    """What in one Chinese string breaks the guide's typography or uses an avoided term."""
    if not _HAS_HAN.search(text):
        return []
    body = prose(text)
    found = {
        (rule.id, m.start()): Finding(rule.id, _around(body, m.start(), m.end()), rule.advice)
        for rule in _RULES
        for m in rule.pattern.finditer(body)
    }
    for term, use in avoided_terms().items():
        for m in re.finditer(re.escape(term), body):
            if not body[: m.start()].endswith("又称"):
                found[("avoid-term", m.start())] = Finding(
                    "avoid-term", _around(body, m.start(), m.end()), f"use {use}"
                )
    return list(found.values())


def _around(text: str, start: int, end: int, width: int = 8) -> str:
    return text[max(0, start - width) : end + width].replace(_CODE, "`…`").replace("\n", " ")


# --- where Chinese text comes from -------------------------------------------------------


def _texts(where: str, **texts: Text | tuple[Text, ...]) -> Iterator[tuple[str, str]]:
    for key, value in texts.items():
        for i, text in enumerate(value if isinstance(value, tuple) else (value,)):
            if text.zh:
                yield f"{where} {key}" + (f"[{i}]" if isinstance(value, tuple) else ""), text.zh


def step_texts(lesson: Lesson, step: Step) -> Iterator[tuple[str, str]]:
    """Every Chinese string a learner can read in one step, with where it is."""
    where = f"{Path(lesson.path).name}:{step.line} {step.id}"
    yield from _texts(
        where,
        title=step.title,
        text=step.text,
        explanation=step.explanation,
        hints=step.hints,
        choices=step.choices,
        items=step.items,
    )
    for rule in step.feedback:
        yield from _texts(
            f"{Path(lesson.path).name}:{rule.line} feedback {rule.id}", message=rule.message
        )
    for e in step.expects:
        yield from _texts(f"{Path(lesson.path).name}:{e.line} expect", message=e.message)


def lesson_texts(path: Path) -> Iterator[tuple[str, str]]:
    lesson, errors = load_lesson(path)
    assert lesson is not None, [str(e) for e in errors]
    yield from _texts(path.name, title=lesson.title, summary=lesson.summary)
    for step in lesson.steps:
        yield from step_texts(lesson, step)


def glossary_texts(path: Path) -> Iterator[tuple[str, str]]:
    entries = load_glossary(path, "zh")
    assert entries, f"{path} holds no terms"
    for entry in entries:
        yield f"{path.name} {entry.title}", f"{entry.title}\n{entry.text}"


# --- the tutor's own words ------------------------------------------------------------------


class _Sample(dict[str, Any]):
    """Sample values for a catalog message's placeholders, by field name.

    A field the code fills with a value (a name, a number, a shape, a dtype, code) gets a
    Latin sample, so a missing space beside it shows; a field filled with another phrase
    of the catalog gets ``…``, neutral to every rule (the assembled sources below lint
    those sentences as built)."""

    PHRASES = frozenset(
        {"not_yet", "failed", "label", "title", "detail", "outcome", "what", "both", "left",
         "right", "head", "where", "cut", "how", "why", "shapes", "gave", "made", "read", "who",
         "lessons", "steps", "exercises", "here"}
    )  # fmt: skip

    # Fields that are a phrase in one message only (elsewhere ``want`` is a value).
    PHRASES_IN = {
        "detect.mul-vs-matmul.message": {"want"},
        "detect.matmul-vs-mul.message": {"want"},
    }

    def __init__(self, key: str) -> None:
        super().__init__()
        self.phrases = self.PHRASES | self.PHRASES_IN.get(key, set())

    def __missing__(self, field: str) -> Any:
        if field == "seconds":
            return 30  # formatted with :g
        return "…" if field in self.phrases else "x"


def catalog_texts(lang: str = "zh") -> Iterator[tuple[str, str]]:
    """Every entry of a catalog, each form of a plural entry and each word of a list, rendered
    with sample values; and the catalog's comments."""
    path = i18n.CATALOGS / f"{lang}.toml"
    for key, entry in sorted(i18n.catalog(lang).items()):
        forms = (
            entry.items()
            if isinstance(entry, dict)
            else enumerate(entry)
            if isinstance(entry, list)
            else [("", entry)]
        )
        for form, text in forms:
            text = text.format_map(_Sample(key))
            if key.startswith("syntax."):
                text = f"`{text}`"  # a command as the learner types it: code, placeholders and all
            yield f"{path.name} {key}" + (f"[{form}]" if form != "" else ""), text
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("#"):
            yield f"{path.name}:{n} comment", line.lstrip("# ")


def _test_module(relative: str) -> Any:
    """Another test module of the suite, for its fixtures (the cases it proves are the cases
    linted here, so a new error rule or detector is linted as soon as it is tested)."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(f"_zh_lint_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def strings(renderable: Any) -> Iterator[str]:
    """Every piece of text a rich renderable shows, each on its own: a table cell by cell, so
    the spaces between columns are not read as spaces inside a sentence."""
    if isinstance(renderable, str):
        yield renderable
    elif isinstance(renderable, RichText):
        yield renderable.plain
    elif isinstance(renderable, Markdown):
        yield renderable.markup
    elif isinstance(renderable, Table):
        if renderable.title is not None:
            yield from strings(renderable.title)
        for column in renderable.columns:
            yield from strings(column.header)
            for cell in column._cells:
                yield from strings(cell)
    elif isinstance(renderable, Group):
        for part in renderable.renderables:
            yield from strings(part)
    elif isinstance(renderable, Panel):
        yield from strings(renderable.title or "")
        yield from strings(renderable.renderable)
    elif isinstance(renderable, Padding):
        yield from strings(renderable.renderable)
    elif isinstance(renderable, Tree):
        yield from strings(renderable.label)
        for child in renderable.children:
            yield from strings(child)
    elif hasattr(renderable, "__rich_console__"):
        console = Console(file=io.StringIO(), width=100, color_system=None)
        for part in renderable.__rich_console__(console, console.options):
            yield from strings(part)


# Failing code for an error, so the explanation can name the learner's own tensors.
ERROR_CODE: dict[str, list[tuple[str, dict[str, list[int]]]]] = {
    "broadcast-mismatch": [
        ("out = m + r.unsqueeze(0)", {"m": [3, 2], "r": [3]}),
        ("out = m + r", {"m": [3, 2], "r": [3]}),
    ],
    "numpy-requires-grad": [("arr = w.numpy()", {})],
    "numpy-gpu": [("arr = g.numpy()", {})],
    "item-many": [("v = scores.item()", {})],
    "mean-int": [("m = counts.mean()", {})],
}

# Messages that reach a form the test_errors cases do not (a device error naming no device or
# device types, a `view` with -1, `mv`, `expand`), as torch 2.13 words them.
EXTRA_ERRORS: list[tuple[str, str, str]] = [
    ("device-mismatch", "RuntimeError", "Expected all tensors to be on the same device"),
    (
        "device-mismatch",
        "RuntimeError",
        "Expected object of device type cuda but got device type cpu for argument #1 'self'",
    ),
    ("view-numel", "RuntimeError", "shape '[-1, 5]' is invalid for input of size 12"),
    ("matmul-inner-size", "RuntimeError", "size mismatch, got input (2), mat (2x3), vec (4)"),
    (
        "broadcast-mismatch",
        "RuntimeError",
        "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
        "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]",
    ),
]


def error_cases() -> list[tuple[str, str, str]]:
    """(id, exception type, message) for every error explanation: live torch messages, the
    fixed ones of other versions and devices, and the extra forms above."""
    cases = _test_module("tests/render/test_errors.py")
    live = [(id_, *cases.raised(fn)) for id_, (fn, _, _) in sorted(cases.LIVE.items())]
    return [*live, *cases.FIXED, *EXTRA_ERRORS]


def error_texts() -> Iterator[tuple[str, str]]:
    """Every error explanation in Chinese, with and without the learner's code, and its
    picture."""
    for id_, etype, message in error_cases():
        for code, shapes in [("", {}), *ERROR_CODE.get(id_, [])]:
            found = errors.explain(etype, message, "zh", code=code, shapes=shapes)
            assert found is not None, message
            where = f"errors {id_} ({message[:40]}…)" + (f" after `{code}`" if code else "")
            yield where, found.feedback.message
            if found.picture:
                picture = pictures.picture_for(found.picture, "zh")
                for text in strings(picture):
                    yield f"{where} picture", text


# Wrong answers that reach the phrases the detector fixtures do not: (the detector that must
# speak, name checked, wrong answer, right answer, set-up, expectation).
DETECTOR_VARIANTS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("list-not-tensor", "x", "x = (1.0, 2.0)", "x = torch.tensor([1.0, 2.0])", "", {}),
    ("int-not-float", "x", "x = torch.tensor([1, 2])", "x = torch.tensor([1.5, 2.5])", "", {}),
    ("float-not-int", "x", "x = torch.Tensor([1, 2])", "x = torch.tensor([1, 2])", "", {}),
    ("float-not-int", "x", "x = torch.tensor([1.0, 2.0])", "x = torch.tensor([1, 2])", "", {}),
    (
        "transposed",
        "c",
        "c = a.T",
        "c = a",
        "a = torch.arange(6.).reshape(2, 3)",
        {},
    ),
    ("arange-end", "x", "x = torch.arange(0, 12, 2)", "x = torch.arange(0, 9, 2)", "", {}),
    ("unsqueeze-dim", "y", "y = v.clone()", "y = v.unsqueeze(0)", "v = torch.ones(3)", {}),
    ("unsqueeze-dim", "y", "y = v.unsqueeze(0)", "y = v.clone()", "v = torch.ones(3)", {}),
    (
        "unsqueeze-dim",
        "y",
        "y = v.unsqueeze(1).unsqueeze(2)",
        "y = v.view(1, 3, 1)",
        "v = torch.tensor([1., 2., 3.])",
        {},
    ),
    ("squeeze-dim", "y", "y = t.squeeze(0)", "y = t.squeeze()", "t = torch.ones(1, 3, 1)", {}),
    (
        "grad-missing-requires-grad",
        "w",
        "y = (w * 2).sum()",
        "w.requires_grad_()\ny = (w * 2).sum()\ny.backward()",
        "w = torch.tensor([1.0, 2.0])",
        {"props": ["requires_grad", "grad"]},
    ),
    (
        "grad-missing-requires-grad",
        "h",
        "h = x * 2",
        "h = (x * 2).requires_grad_()\nh.sum().backward()",
        "x = torch.tensor([1.0, 2.0])",
        {"props": ["requires_grad", "grad"]},
    ),
    (
        "grad-non-leaf",
        "g",
        "y = torch.tensor([1.0, 2.0], requires_grad=True) * 3\ny.sum().backward()\ng = y.grad",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n(x * 3).sum().backward()\ng = x.grad",
        "",
        {},
    ),
    (
        "copy-not-shared",
        "t",
        "t = t * 2",
        "t.mul_(2)",
        "a = torch.ones(3)\nt = a",
        {"shares_memory_with": "a"},
    ),
    (
        "mul-vs-matmul",
        "c",
        "c = a * b",
        "c = a @ b",
        "a = torch.ones(2, 3)\nb = torch.ones(3)",
        {},
    ),
]


def detector_cases() -> Iterator[tuple[str, tuple[str, str, str, str, dict[str, Any]]]]:
    fixtures = _test_module("tests/judge/test_detectors.py").FIXTURES
    yield from sorted(fixtures.items())
    for id_, *case in DETECTOR_VARIANTS:
        yield id_, tuple(case)  # type: ignore[misc]


def _snapshot(folder: Path, code: str, setup: str) -> dict[str, Value]:
    namespace: dict[str, Any] = {"torch": torch, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # reading a non-leaf's .grad warns
        exec(setup + "\n" + code, namespace)  # noqa: S102 - the fixtures above
    live = {k: v for k, v in namespace.items() if k not in ("torch", "np", "__builtins__")}
    folder.mkdir()
    snapshot.take(live, list(live), str(folder))
    return snapshot.load(str(folder))


def verdict_texts() -> Iterator[tuple[str, str]]:
    """Every detector's diagnosis, and the whole verdict around it (check labels, cells,
    messages, pictures, the one-line brief), for each fixture and variant, in Chinese."""
    with tempfile.TemporaryDirectory() as tmp:
        for n, (id_, (var, wrong, right, setup, expect)) in enumerate(detector_cases()):
            learner = _snapshot(Path(tmp) / f"l{n}", wrong, setup)
            reference = _snapshot(Path(tmp) / f"r{n}", right, setup)
            spec = {"expect": [{"var": var, **expect}], "solution": right}
            verdict = run_checks(spec, learner, reference, code=wrong, lang="zh")
            where = f"verdict {id_} after `{wrong.splitlines()[-1]}`"
            assert id_ in {f.id for f in verdict.feedback}, (where, verdict.feedback)
            for text in strings(chat.verdict(verdict, "zh")):
                yield where, text
            yield f"{where} brief", chat.verdict_brief(verdict, "zh").plain


def progress_notices() -> Iterator[str]:
    """Every progress notice (``store_*``) as the store builds it: a reason key or an OS
    error's own words, one step or a list cut short."""
    steps = [["tensors.dtype"], [f"shapes.s{i}" for i in range(8)]]
    for key in sorted(k for k in i18n.catalog("zh") if k.startswith("store_")):
        for reason, names in itertools.product(("reason_full", "[Errno 5] I/O error"), steps):
            fields = {
                "path": "/home/u/.local/share/torch-tutor/progress.db",
                "moved": "/home/u/.local/share/torch-tutor/progress.db.damaged",
                "copy": "/tmp/torch-tutor-unsaved.json",
                "reason": reason,
                "steps": names,
                "error": "OSError: disk full",
                "data": "{}",
            }
            yield Notice(key, fields).text("zh")


def session_texts() -> Iterator[tuple[str, str]]:
    """What the session assembles: /help, the progress line, /graph (pictures and reasons)."""
    for usage, what in i18n.help_rows("zh"):
        yield f"/help {usage}", f"`{usage}`：{what}"
    yield "/help title", str(tables.help_table("zh").title)
    for done, total in [(0, 7), (3, 7), (0, 0)]:
        yield f"progress line {done}/{total}", chat.progress_line(8, 1, 10, done, total, "zh").plain
    for text in progress_notices():
        yield "progress notice", text
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    y.backward()
    namespace = {"x": x, "y": y, "n": 3, "c": torch.ones(2)}
    for name in ("y", "x", "n", "c", "nothing"):
        for text in strings(pictures.picture_for(graph.describe(namespace, name), "zh")):
            yield f"/graph {name}", text


def _sources() -> dict[str, Callable[[], Iterator[tuple[str, str]]]]:
    course = builtin_dir()
    sources: dict[str, Callable[[], Iterator[tuple[str, str]]]] = {
        f"lessons/{p.name}": (lambda p=p: lesson_texts(p))
        for p in sorted(course.glob("*.toml"))
        if p.name != "glossary.toml"
    }
    sources["lessons/glossary.toml"] = lambda: glossary_texts(course / "glossary.toml")
    sources["tutor/catalogs/zh.toml"] = catalog_texts
    sources["tutor/catalogs/api/zh.toml"] = lambda: iter(docstring.summaries("zh").items())
    sources["tutor: error explanations"] = error_texts
    sources["tutor: verdicts and diagnoses"] = verdict_texts
    sources["tutor: session"] = session_texts
    return sources


SOURCES = _sources()


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_chinese_text_follows_the_guide(source: str) -> None:
    problems = [
        f"{where}: {finding}" for where, text in SOURCES[source]() for finding in lint_zh(text)
    ]
    assert not problems, "\n".join(problems)


def test_the_course_and_the_tutor_have_sources() -> None:
    assert len(SOURCES) >= 16, sorted(SOURCES)
    assert {"tutor/catalogs/zh.toml", "tutor: error explanations"} <= set(SOURCES)


def test_every_error_rule_is_linted() -> None:
    """Each pattern of the error registry is reached by a linted message."""
    cases = error_cases()
    for rule in errors.rules():
        assert any(rule.pattern.search(message) for _, _, message in cases), rule


# --- the guide and the rules themselves --------------------------------------------------


def test_the_guide_lists_terms_to_avoid() -> None:
    terms = avoided_terms()
    assert {"叶子张量", "追踪", "拉伸", "内存共享", "反向计算", "不记录梯度"} <= set(terms)
    for term, use in terms.items():
        assert term not in use, f"{term} is both avoided and used: {use}"


@pytest.mark.parametrize(
    ("rule", "bad", "good"),
    [
        ("half-width-punct", "按（批次, 通道）排列", "按“批次、通道”排列"),
        ("half-width-punct", "例如: 张量", "例如：张量"),
        ("half-width-paren", "或其中一个为 1 (结果的第 1 维)", "或其中一个为 1（结果的第 1 维）"),
        ("half-width-paren", "操作数 (3, 1)扩展成", "操作数 (3, 1) 扩展成"),
        ("half-width-list", "你的在第 0, 2 维", "你的在第 0、2 维"),
        ("half-width-aside", "张量 (tensor)", "张量（tensor）"),
        ("space-between-chinese", "分别在 两个不同的设备 上", "分别在两个不同的设备上"),
        ("ascii-quote", '读音正是 "eye"。', "读音正是“eye”。"),
        ("space-before-code", "分别在 `cpu`和`cuda:0` 上", "分别在 `cpu` 和 `cuda:0` 上"),
        ("space-before-latin", "在GPU上", "在 GPU 上"),
        ("times-not-x", "一个 2 x 3 的矩阵", "一个 2×3 的矩阵"),
        ("times-not-x", "`(2, 3)` 行 x 列", "`(2, 3)` 行×列"),
        ("ascii-ellipsis", "点（0.0, 0.1, ..., 1.0）", "点（0.0、0.1、…、1.0）"),
        ("not-equal", "而 2 != 4。", "而 2 ≠ 4。"),
        ("avoid-term", "一个叶子张量", "一个叶子节点"),
        ("avoid-term", "NumPy 无法追踪梯度", "NumPy 无法跟踪梯度"),
    ],
)
def test_a_rule_catches_its_mistake_and_passes_the_fix(rule: str, bad: str, good: str) -> None:
    assert rule in {f.rule for f in lint_zh(bad)}, lint_zh(bad)
    assert lint_zh(good) == [], lint_zh(good)


def test_code_and_english_are_left_alone() -> None:
    assert (
        lint_zh("用 `x.view(3, 4)` 或\n\n```python\nx = a if b != 2 else c  # 注释, 逗号\n```\n")
        == []
    )
    assert lint_zh('RuntimeError: grad can be "implicitly" created, 2 x 3') == []
    assert lint_zh("`v.unsqueeze(0)` 是 (1, 3)，一行；(3,) 经过 `squeeze` 不变。") == []
    assert lint_zh("形状是 (3, 2) 或 (n, m)，空形状是 ()。") == []


def test_an_alias_may_follow_you_chen() -> None:
    assert lint_zh("逐元素相乘，又称阿达玛积。") == []
    assert [f.rule for f in lint_zh("逐元素相乘，即阿达玛积。")] == ["avoid-term"]
