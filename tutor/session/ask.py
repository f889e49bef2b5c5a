"""Answer a question typed in plain words from the course's glossary and lesson text.

Simple scoring over tokens, no extra dependencies: English words (lower-cased,
stop words dropped, a trailing plural ``s`` folded) and, for Chinese, single
characters and character bigrams. Rarer tokens weigh more (an IDF weight); a
glossary term named in the question wins outright.
"""

from __future__ import annotations

import keyword
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.i18n import LANGS, t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOP = frozenset(
    """a an the is are was were be been do does did what whats which who why how
when where i me my you your we it its this that these those of in on at to for from with by and
or not no can could should would will shall may might must there here please tell explain mean
means meaning about as if so than then into out up use used using get make difference differ
between""".split()
)
_CJK_STOP = frozenset("的了是什么吗呢吧啊在和与或有没不个这那一我你他她它们怎样如何为么请问")
# Words that ask rather than name a topic.
# Chinese words that ask rather than name a topic (longer before shorter: 为什么 before 什么).
_ASKING_ZH = (
    "为什么", "什么", "怎么办", "怎么", "如何", "为啥", "请问", "解释",
    "区别", "意思", "含义",
)  # fmt: skip
# Characters that show an input is code, not words.
_CODE_CHARS = frozenset("=()[]{}@#'\"")
_ASKING = frozenset(
    "what whats what's how why when where which who explain define describe difference".split()
)
# A term named in the question beats any amount of shared vocabulary.
_TERM_BONUS = 10.0
# A task's text (code, quiz, predict) answers less well than an explanation, and it gives
# away an exercise ahead.
_TASK_WEIGHT = 0.7


@dataclass(frozen=True)
class Entry:
    """One thing that can answer a question: a glossary term or a step's text."""

    title: str
    text: str
    source: str  # "glossary" or "lesson-id/step-id"
    names: tuple[str, ...] = ()  # a glossary term's names in each language
    kind: str = ""  # a step's kind; "" for the glossary


@dataclass(frozen=True)
class Answer:
    """An entry that matches a question, with its score."""

    title: str
    text: str
    source: str
    score: float


def tokens(text: str) -> list[str]:
    """The question's tokens: English words and Chinese characters and bigrams."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP or len(word) < 2 and not word.isdigit():
            continue
        out.append(
            word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
        )
    for run in _CJK.findall(text):
        for word in _ASKING_ZH:  # "区别" asks; its 别 would match 识别
            run = run.replace(word, "的")
        chars = [c for c in run]
        out += [c for c in chars if c not in _CJK_STOP]
        out += [
            a + b
            for a, b in zip(chars, chars[1:], strict=False)
            if a not in _CJK_STOP and b not in _CJK_STOP
        ]
    return out


def load_glossary(path: str | Path, lang: str) -> list[Entry]:
    """The glossary's terms as entries in ``lang``; a missing or broken file gives none."""
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    entries = []
    for term in doc.get("terms", []):
        if not isinstance(term, dict):
            continue
        names = {lang: str(term.get(lang, "")) for lang in LANGS}
        en, local = names["en"], names.get(lang, "") if lang != "en" else ""
        text = term.get("text", {})
        text = text if isinstance(text, dict) else {"en": str(text)}
        body = str(text.get(lang) or text.get("en", ""))
        # "张量（tensor）"; a term both languages write alike (GPU) is named once
        title = t("glossary_title", lang, term=local, en=en) if local and local != en else en
        entries.append(Entry(title, body, "glossary", tuple(n for n in names.values() if n)))
    return entries


def lesson_entries(lessons: Iterable[Any], lang: str) -> list[Entry]:
    """Every step of every lesson as an entry: title and text in ``lang``."""
    entries = []
    for lesson in lessons:
        for step in lesson.steps:
            entries.append(
                Entry(
                    f"{lesson.title.get(lang)} · {step.title.get(lang)}",
                    step.text.get(lang),
                    f"{lesson.id}/{step.id}",
                    kind=step.kind,
                )
            )
    return entries


class Index:
    """A small search index over entries."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._docs = [Counter(tokens(e.title) * 2 + tokens(e.text)) for e in entries]
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.keys())
        n = max(len(entries), 1)
        self._idf = {tok: math.log(1 + n / count) for tok, count in df.items()}

    def _best_paragraph(self, text: str, query: set[str]) -> str:
        """The paragraph of a step's text that shares the most with the question (the first
        on a tie): the install step answers "pip" with its pip paragraph, not its opening."""
        paragraphs = _paragraphs(text) or [text]
        weights = [
            sum(self._idf.get(tok, 0.0) for tok in set(tokens(p)) & query) for p in paragraphs
        ]
        return paragraphs[weights.index(max(weights))]

    def search(self, question: str, limit: int = 3) -> list[Answer]:
        """The best matching entries, best first; none when nothing shares a token."""
        query = set(tokens(question))
        lowered = question.lower()
        scored = []
        for entry, doc in zip(self.entries, self._docs, strict=True):
            score = sum(
                self._idf.get(tok, 0.0) * (1 + math.log(doc[tok])) for tok in query if tok in doc
            )
            score /= math.sqrt(1 + sum(doc.values()) / 20)
            if any(_names_term(lowered, name) for name in entry.names):
                score += _TERM_BONUS * max(len(n) for n in entry.names) / 4
            if entry.kind not in ("", "read"):
                score *= _TASK_WEIGHT
            if score > 0:
                text = entry.text if not entry.kind else self._best_paragraph(entry.text, query)
                scored.append(Answer(entry.title, text, entry.source, score))
        scored.sort(key=lambda a: -a.score)
        return scored[:limit]


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; a fenced code block stays whole, and a paragraph that
    ends in a colon keeps what it introduces."""
    out: list[str] = []
    for chunk in (p.strip() for p in text.strip().split("\n\n")):
        if not chunk:
            continue
        previous = out[-1] if out else ""
        if previous and (previous.count("```") % 2 or previous.endswith((":", "："))):
            out[-1] = previous + "\n\n" + chunk
        else:
            out.append(chunk)
    return out


def _names_term(question: str, name: str) -> bool:
    name = name.lower()
    if _CJK.search(name):
        return name in question
    return re.search(rf"(?<![a-z]){re.escape(name)}(?:s|es)?(?![a-z])", question) is not None


def build_index(lessons: Iterable[Any], glossary: str | Path | None, lang: str) -> Index:
    """An index over the glossary (first) and the lessons' text in ``lang``."""
    entries = load_glossary(glossary, lang) if glossary else []
    return Index(entries + lesson_entries(lessons, lang))


def asks_outright(text: str) -> bool:
    """Whether an input is unmistakably a question, even where an answer is expected.

    At a quiz, "an error: the elements differ" is an answer; "why do gradients
    accumulate" and "什么是广播？" are questions: plain words that open with an
    asking word or end with a question mark.
    """
    stripped = text.strip()
    if stripped.startswith("??"):
        return True
    if "\n" in stripped:
        return False  # a question is one line; several lines are code (a paste), errors and all
    words = stripped.split()
    if _CODE_CHARS & set(stripped) or not words:
        return False
    if stripped.endswith(("?", "？")) and (len(words) >= 2 or _CJK.search(stripped)):
        return True
    if _CJK.search(stripped):
        # Chinese asks anywhere in the sentence: "pip 和 import 有什么区别".
        return any(w in stripped for w in _ASKING_ZH) or stripped.endswith(("吗", "呢"))
    return len(words) >= 3 and words[0].lower() in _ASKING


def is_question(text: str) -> bool:
    """Whether an input that is not valid Python reads as a question in plain words.

    True for ``?? ...``, for text ending in a question mark, for Chinese text, and
    for three or more plain words with no code punctuation; never for several lines.
    """
    stripped = text.strip()
    if stripped.startswith("??"):
        return True
    if "\n" in stripped:
        return False  # a question is one line; several lines are code (a paste), errors and all
    words = stripped.split()
    plain = not (_CODE_CHARS | {":", ","}) & set(stripped)
    # "what is broadcasting" is valid Python (an `is` comparison), but no learner means that.
    if plain and len(words) >= 2 and words[0].lower() in _ASKING:
        return True
    if _parses(stripped) and not _lone_cjk_name(stripped):
        return False
    if stripped.endswith(("?", "？")) or _CJK.search(stripped):
        return True
    first = words[0] if words else ""
    return len(words) >= 3 and plain and not keyword.iskeyword(first)


def _parses(text: str) -> bool:
    try:
        compile(text, "<question>", "exec")
    except (SyntaxError, ValueError, OverflowError):
        return False
    return True


def _lone_cjk_name(text: str) -> bool:
    """``什么是张量`` is a valid Python name; as an input it is a question."""
    return text.isidentifier() and _CJK.search(text) is not None


__all__ = [
    "Answer",
    "Entry",
    "Index",
    "build_index",
    "asks_outright",
    "is_question",
    "lesson_entries",
    "load_glossary",
    "tokens",
]
