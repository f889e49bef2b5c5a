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
have has had need needs
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
# A term that a "what is" question names beats any amount of shared vocabulary.
_TERM_BONUS = 10.0
_NAMED_SHARE = 0.6
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

    @property
    def key(self) -> str:
        """``glossary:TERM`` (its English name) or ``lesson/step``."""
        return f"glossary:{self.names[0]}" if self.source == "glossary" else self.source


@dataclass(frozen=True)
class Answer:
    """An entry that matches a question, with its score."""

    title: str
    text: str
    source: str
    score: float
    key: str = ""


_OPERATOR = re.compile(r"(?<![*\w])[@*](?![*\w])")  # `a * b`, `@`; not Markdown's **bold**


def tokens(text: str) -> list[str]:
    """The question's tokens: English words, the ``*`` and ``@`` operators, and Chinese
    characters and bigrams."""
    out: list[str] = _OPERATOR.findall(text)
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
            # A quiz's or predict's explanation is where it teaches: "both ends are included".
            said = [step.text.get(lang), step.explanation.get(lang) if step.explanation else ""]
            entries.append(
                Entry(
                    f"{lesson.title.get(lang)} · {step.title.get(lang)}",
                    "\n\n".join(part.strip() for part in said if part.strip()),
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
        self._names = [set(tokens(" ".join(e.names))) for e in entries]
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.keys())
        self._df = df
        n = max(len(entries), 1)
        # A single Chinese character says less than a word: half the weight of its bigrams.
        self._idf = {
            tok: math.log(1 + n / count) * (0.5 if _CJK.fullmatch(tok) and len(tok) == 1 else 1)
            for tok, count in df.items()
        }
        self._idf_high = sorted(self._idf.values())[len(self._idf) // 2] if self._idf else 0.0
        self._idf_max = math.log(1 + n)

    def _best_paragraph(self, text: str, query: set[str]) -> str:
        """The paragraph of a step's text that shares the most with the question (the first
        on a tie): the install step answers "pip" with its pip paragraph, not its opening."""
        paragraphs = _paragraphs(text) or [text]
        weights = [
            sum(self._idf.get(tok, 0.0) for tok in set(tokens(p)) & query) for p in paragraphs
        ]
        return paragraphs[weights.index(max(weights))]

    def search(
        self, question: str, limit: int = 3, here: tuple[str, str] | None = None
    ) -> list[Answer]:
        """The best matching entries, best first; none when the course has no good answer.

        ``here`` (lesson id, step id) is where the learner is: a question that names
        little ("why is it not an error?") is read with that step's words, the lesson
        it belongs to ranks first, and the step itself (already on screen) is never
        the answer. An answer must cover at least ``_COVERAGE`` of what the question
        asks (its tokens, rarer ones weighing more), else nothing is returned and the
        tutor says it does not know.
        """
        own = set(tokens(question))
        # A word the course never uses is the most telling of all: it names a topic not here.
        # (A Chinese bigram no entry holds may be a seam between two words: less weight.)
        # In a whole course (not a handful of entries, where most words are unknown) such a
        # word weighs above the rarest one it has, so a question about a topic the course
        # never names (a for loop in JavaScript) is not answered by its common words.
        unknown = self._idf_max * (_UNKNOWN if len(self.entries) >= _MANY else 1.0)
        asked = sum(self._idf.get(tok, unknown * (0.4 if _CJK.match(tok) else 1)) for tok in own)
        context = self._context(here, len(own)) if here and _vague(question, own) else {}
        asked_context = sum(w * self._idf[tok] for tok, w in context.items())
        procedure = _asks_how(question)
        lowered = question.lower()
        defines = _defines(question)
        scored = []
        for entry, doc, entry_names in zip(self.entries, self._docs, self._names, strict=True):
            if here and entry.source == f"{here[0]}/{here[1]}":
                continue  # the step on screen: its text is what the learner asks about
            shared = own & doc.keys()
            score = sum(self._idf[tok] * (1 + math.log(doc[tok])) for tok in shared)
            score += sum(
                w * self._idf[tok] * (1 + math.log(doc[tok]))
                for tok, w in context.items()
                if tok in doc
            )
            score /= math.sqrt(1 + sum(doc.values()) / 20)
            named = [n for n in entry.names if _names_term(lowered, n)]
            share = self._share(own, entry_names, asked) if defines and entry.names else 0.0
            if share >= _NAMED_SHARE:
                # "What is X", and X is this term (or its telling part: "leaf" for "leaf
                # node"): the glossary answers outright. Elsewhere a term's words count as
                # any others do.
                score += _TERM_BONUS * share * (0.5 + 0.5 * self._named(own, entry_names))
            if here and entry.source.split("/")[0] == here[0]:
                score *= _HERE_WEIGHT
            score *= _KIND_WEIGHT.get(entry.kind, 1.0)
            if procedure and entry.source == "glossary":
                score *= _HOW_GLOSSARY  # "how do I ..." wants a step that shows how
            covered = sum(self._idf[tok] for tok in shared)
            near = sum(w * self._idf[tok] for tok, w in context.items() if tok in doc)
            answers = (asked and covered / asked >= _COVERAGE) or (
                asked_context and near / asked_context >= _CONTEXT_COVERAGE
            )
            if score > 0 and (named or answers):
                text = entry.text if not entry.kind else self._best_paragraph(entry.text, own)
                scored.append(Answer(entry.title, text, entry.source, score, entry.key))
        scored.sort(key=lambda a: -a.score)
        # Answers far below the best one are about something else.
        return [a for a in scored[:limit] if a.score >= _CLOSE_TO_BEST * scored[0].score]

    def _share(self, own: set[str], names: set[str], asked: float) -> float:
        """The share of the question's weight that a term's names carry."""
        return sum(self._idf.get(tok, 0.0) for tok in own & names) / asked if asked else 0.0

    def _named(self, own: set[str], names: set[str]) -> float:
        """The share of a term's names the question says (``梯度`` is all of 梯度, part of
        需要梯度)."""
        total = sum(self._idf.get(tok, 0.0) for tok in names)
        return sum(self._idf.get(tok, 0.0) for tok in own & names) / total if total else 0.0

    def _context(self, here: tuple[str, str], own: int) -> dict[str, float]:
        """The words of the step the learner is on: the fewer words the question has of its
        own, the more they count."""
        source = f"{here[0]}/{here[1]}"
        doc = next(
            (d for e, d in zip(self.entries, self._docs, strict=True) if e.source == source), None
        )
        if not doc:
            return {}
        # Words that other entries share (a word only this step holds, or the seam between two
        # Chinese words, leads nowhere), numbers aside, the step's most telling first.
        shared = [tok for tok in doc if self._df[tok] > 1 and not tok.isdigit()]
        best = sorted(shared, key=lambda tok: -self._idf[tok] * doc[tok])[:_CONTEXT_WORDS]
        return {tok: _CONTEXT_WEIGHT / (1 + own) for tok in best}


# A question that names little ("why is it not an error?", "为什么会变？") is about the step
# on screen: its most telling words join the question at this weight.
_CONTEXT_WORDS = 12
_CONTEXT_WEIGHT = 1.0
# The lesson the learner is in answers first; a task's text (code, quiz, predict) less well than
# an explanation: a quiz's text is a question, not an answer.
_HERE_WEIGHT = 1.3
_KIND_WEIGHT = {"code": 0.7, "quiz": 0.45, "predict": 0.45, "explore": 0.8}
# Below this share of the question's weight covered, an entry does not answer it.
_COVERAGE = 0.5
_UNKNOWN = 1.25  # an unknown word's weight, in units of the rarest known word's
_MANY = 50  # entries from which an index is a course
_CONTEXT_COVERAGE = 0.35
_CLOSE_TO_BEST = 0.4  # for a vague question: this share of the step's own words

_VAGUE_EN = frozenset("it this that these those they them here there so too also".split())
_VAGUE_ZH = ("这", "那", "它", "会变", "为什么会", "怎么会", "为啥")
_DEFINES_EN = re.compile(r"^\s*(what\s+(is|are|does|do)\b|what's|define|meaning of)", re.I)
_DEFINES_ZH = ("是什么", "什么是", "是做什么", "是干什么", "有什么用", "什么意思", "的意思")


_HOW_EN = re.compile(r"^\s*how\b", re.I)
_HOW_ZH = ("怎么", "如何", "怎样")
_HOW_GLOSSARY = 0.7


def _asks_how(question: str) -> bool:
    return bool(_HOW_EN.search(question)) or any(w in question for w in _HOW_ZH)


def _vague(question: str, own: set[str]) -> bool:
    """Whether a question leans on the step on screen: few words of its own, "it", "这", or a
    "why" (after a surprise, the learner asks about what they just saw)."""
    words = set(re.findall(r"[a-z']+", question.lower()))
    return (
        len(own) <= 2
        or bool(words & _VAGUE_EN)
        or any(w in question for w in _VAGUE_ZH)
        or question.lower().lstrip().startswith("why")
    )


def _defines(question: str) -> bool:
    """Whether a question asks what something is (a glossary term then answers outright)."""
    return bool(_DEFINES_EN.search(question)) or any(w in question for w in _DEFINES_ZH)


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
