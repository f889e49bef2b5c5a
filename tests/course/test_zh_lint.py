"""The Chinese text follows docs/translation-zh.md: its typography and one term per concept.

``lint_zh`` checks one string and returns what is wrong with it; ``SOURCES`` names
every place Chinese text comes from, each a function yielding ``(where, text)``. The
course's lessons and glossary are sources today; the tutor's own messages join by
adding a source that renders each message with sample values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tutor.course import load_lesson
from tutor.course.files import builtin_dir
from tutor.course.lesson import Lesson, Step, Text
from tutor.session.ask import load_glossary

ROOT = Path(__file__).resolve().parents[2]
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


def _sources() -> dict[str, Callable[[], Iterator[tuple[str, str]]]]:
    course = builtin_dir()
    sources: dict[str, Callable[[], Iterator[tuple[str, str]]]] = {
        f"lessons/{p.name}": (lambda p=p: lesson_texts(p))
        for p in sorted(course.glob("*.toml"))
        if p.name != "glossary.toml"
    }
    sources["lessons/glossary.toml"] = lambda: glossary_texts(course / "glossary.toml")
    return sources


SOURCES = _sources()


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_chinese_text_follows_the_guide(source: str) -> None:
    problems = [
        f"{where}: {finding}" for where, text in SOURCES[source]() for finding in lint_zh(text)
    ]
    assert not problems, "\n".join(problems)


def test_the_course_has_sources() -> None:
    assert len(SOURCES) >= 12, sorted(SOURCES)


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


def test_an_alias_may_follow_you_chen() -> None:
    assert lint_zh("逐元素相乘，又称阿达玛积。") == []
    assert [f.rule for f in lint_zh("逐元素相乘，即阿达玛积。")] == ["avoid-term"]
