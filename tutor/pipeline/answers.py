"""Quiz and predict answers: a choice's number or words, a fill-in answer in words, a
predicted output in any printed form; checked here without a sandbox (a predict step without
choices runs its code)."""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from typing import Any

from tutor.course.lesson import FeedbackRule, Step
from tutor.judge.verdict import Check, Feedback, Verdict
from tutor.pipeline._text import _msg
from tutor.pipeline.code import effective_setup


def normalize(text: str) -> str:
    """Case-folded, NFKC-normalised, backticks dropped, spaces collapsed: how answers compare."""
    return _cased(text).casefold()


def _cased(text: str) -> str:
    # Choices are Markdown (`torch.float32`); learners type them with or without the backticks.
    text = unicodedata.normalize("NFKC", text.replace("`", "")).strip()
    return re.sub(r"\s+", " ", text).strip(" .。")


# A choice often reads "title（explanation）" or "title: explanation"; the title alone may do.
_HEAD_END = re.compile(r"（|：|:\s| \(")
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _head(text: str) -> str:
    """A choice's text before its explanation (``应用领域：用 AI …`` -> ``应用领域``), or ""."""
    parts = _HEAD_END.split(text, maxsplit=1)
    return normalize(parts[0]) if len(parts) > 1 else ""


def _printed(text: str) -> str:
    """What a predict choice shows as printed output, spaces dropped.

    A choice that opens with code shows its code spans ("`torch.int64`, then
    `torch.float32`" shows both dtypes); any other choice is prose, shown whole.
    """
    spans = _CODE_SPAN.findall(text) if text.startswith("`") else []
    return _collapse("".join(spans) if spans else text)


def _only(matches: set[int]) -> int | None:
    return next(iter(matches)) if len(matches) == 1 else None


def _by_text(step: Step, answer: str) -> int | None:
    """The choice whose whole text was typed; the case decides between look-alikes."""
    text, cased = normalize(answer), _cased(answer)
    same = {i for i, c in enumerate(step.choices, 1) if text in map(normalize, c.variants())}
    if not same:  # `torch.zeros(2,3)` for `torch.zeros(2, 3)`
        text, cased = _collapse(text), _collapse(cased)
        same = {
            i
            for i, c in enumerate(step.choices, 1)
            if text in {_collapse(normalize(v)) for v in c.variants()}
        }
        if len(same) > 1:
            same = {
                i
                for i in same
                if cased in {_collapse(_cased(v)) for v in step.choices[i - 1].variants()}
            }
        return min(same) if same else None
    if len(same) > 1:  # `torch.zeros(2, 3)` and `torch.Zeros(2, 3)`
        same = {i for i in same if cased in map(_cased, step.choices[i - 1].variants())}
    return min(same) if same else None


def _by_output(step: Step, answer: str) -> int | None:
    """In a predict step, the choice showing the output that was typed, spaces aside."""
    if step.kind != "predict":
        return None
    typed = _collapse(answer.replace("`", ""))
    return _only({i for i, c in enumerate(step.choices, 1) if typed in map(_printed, c.variants())})


def _by_head(step: Step, answer: str) -> int | None:
    """The one choice whose title (the text before its explanation) was typed."""
    text = normalize(answer)
    return _only({i for i, c in enumerate(step.choices, 1) if text in map(_head, c.variants())})


# ---- answers in words: what a person types for a choice or a fill-in answer

_EN_NUMBERS = {
    word: n
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_EN_TENS = {
    word: 10 * n
    for n, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
}
_ZH_DIGITS = dict(
    zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
# "3.10+", "3.10 or later", "at least 3.10", "3.10 及以上": the same answer as "3.10 or newer".
_PLUS = re.compile(r"(?<=\d)\s*\+")
_OR_NEWER = re.compile(
    r"\b(?:or|and)\s+(?:later|newer|above|higher|up|more|greater)\b|"
    r"\s*(?:及以上|或以上|以上|或更高|或更新|及更高|或者更高|或者更新)"
)
_AT_LEAST = re.compile(r"\b(?:at least|至少)\s*(\d+(?:\.\d+)*)")
_TOKEN = re.compile(r"\d+(?:\.\d+)*|[a-z_][a-z0-9_]*|[\u3400-\u9fff\uf900-\ufaff]")
_FILLER = frozenset(("the", "a", "an"))
# Words too small to pick a choice alone ("if" is in many a sentence), and marks of code, which
# names a choice only as written.
_SMALL_WORDS = frozenset(
    "a an the if and or of to in on is it be by for with then else than".split()
)
_CODE_MARKS = frozenset("`[](){}=:")
# Words a number answer may carry: "five dimensions", "5 维".
_UNITS = frozenset(("dimension", "dim", "dims", "axis", "axe", "维", "度", "个", "d"))


def _zh_number(text: str) -> str:
    """``十八`` -> ``18``, ``二十一`` -> ``21``, ``五`` -> ``5``; other runs as they are."""
    if "十" not in text:
        digits = [_ZH_DIGITS.get(c) for c in text]
        return "".join(str(d) for d in digits) if len(text) == 1 and None not in digits else text
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return text
    value = (_ZH_DIGITS.get(tens, -99) if tens else 1) * 10 + (
        _ZH_DIGITS.get(units, -99) if units else 0
    )
    return str(value) if value >= 0 else text


def _en_numbers(words: list[str]) -> list[str]:
    """Number words as digits: ``eighteen`` -> ``18``, ``twenty one`` -> ``21``."""
    out: list[str] = []
    for word in words:
        if word in _EN_NUMBERS and out and out[-1] in {str(v) for v in _EN_TENS.values()}:
            if 0 < _EN_NUMBERS[word] < 10:
                out[-1] = str(int(out[-1]) + _EN_NUMBERS[word])
                continue
        number = _EN_NUMBERS.get(word, _EN_TENS.get(word))
        out.append(str(number) if number is not None else word)
    return out


def _stem(word: str) -> str:
    """A plural folded to its singular (``frameworks`` -> ``framework``, ``axes`` -> ``axe``)."""
    if len(word) > 3 and word.isalpha() and word.isascii():
        if word.endswith(("ches", "shes", "sses", "xes")):
            return word[:-2]
        if word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """An answer as the words a person means: case, punctuation and spaces aside, plurals
    folded, numbers as digits (English or Chinese words), "3.10+" as "3.10 or newer"."""
    text = unicodedata.normalize("NFKC", text.replace("`", "")).casefold()
    text = _ZH_NUMBER.sub(lambda m: " " + _zh_number(m.group()) + " ", text)
    text = _AT_LEAST.sub(r"\1 or newer", text)
    text = _OR_NEWER.sub(" or newer", _PLUS.sub(" or newer", text))
    found = _en_numbers(_TOKEN.findall(text))
    return tuple(_stem(w) for w in found)


def _number(word: str) -> float | None:
    try:
        return float(word)
    except ValueError:
        return None


def _same_words(typed: str, accepted: str) -> bool:
    """Whether a fill-in answer says what an accepted one says (a number with its unit, too)."""
    mine, theirs = words(typed), words(accepted)
    if mine == theirs:
        return True
    numbers = [n for n in map(_number, mine) if n is not None]
    wanted = [n for n in map(_number, theirs) if n is not None]
    rest = [w for w in mine if _number(w) is None]
    return (
        len(wanted) == len(theirs) == 1
        and numbers == wanted
        and all(w in _UNITS or w in _FILLER for w in rest)
    )


def _by_words(step: Step, answer: str) -> int | None:
    """The one choice whose words include every word typed (``frameworks`` for "Frameworks
    and models"); None when no choice or several do."""
    typed = set(words(answer)) - _FILLER
    if not typed <= _SMALL_WORDS and not _CODE_MARKS & set(answer):
        return _only(
            {
                i
                for i, c in enumerate(step.choices, 1)
                if any(typed <= set(words(v)) for v in c.variants())
            }
        )
    return None


# A printed value: numbers inside tensor(...), array(...), brackets; the rest is decoration.
_DECORATION = re.compile(
    r"tensor|array|torch\.size|size|requires_grad\s*=\s*true|dtype\s*=\s*[\w.]+|"
    r"grad_fn\s*=\s*<[^>]*>|device\s*=\s*'[^']*'"
)
_VALUE_REST = re.compile(r"[\s\[\]\(\),]*")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")


def _printed_numbers(text: str) -> list[float] | None:
    """The numbers of a printed value (``tensor([2., 3., 4.])`` -> [2, 3, 4]); None when the
    text is more than a value (words, code)."""
    text = unicodedata.normalize("NFKC", text.replace("`", "")).casefold().strip()
    numbers = _NUMBER.findall(text)
    rest = _NUMBER.sub(" ", _DECORATION.sub(" ", text))
    if not numbers or not _VALUE_REST.fullmatch(rest):
        return None
    return [float(n) for n in numbers]


def printed_value(text: str) -> bool:
    """Whether ``text`` is a printed value (``tensor([2., 3.])``, ``[1, 2]``, ``9.0 1.0``)."""
    return _printed_numbers(text) is not None


def _by_numbers(step: Step, answer: str) -> int | None:
    """In a predict step, the one choice that prints the value typed in another form
    (``[2., 3., 4.]`` for ``tensor([2., 3., 4.], requires_grad=True)``)."""
    typed = _printed_numbers(answer)
    if step.kind != "predict" or typed is None:
        return None
    found = set()
    for i, c in enumerate(step.choices, 1):
        shown = _printed_numbers(_printed_text(c.en))
        if shown is not None and len(shown) == len(typed):
            if all(
                math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
                for a, b in zip(shown, typed, strict=True)
            ):
                found.add(i)
    return _only(found)


def _printed_text(text: str) -> str:
    spans = _CODE_SPAN.findall(text) if text.startswith("`") else []
    return " ".join(spans) if spans else text


def _choice_number(step: Step, answer: str) -> int | None:
    """The 1-based choice the learner meant: a number, a letter, or the choice's text.

    The text may be the whole choice, its title alone when no other choice
    shares that title, or (in a predict step) the output the choice shows.
    """
    text = normalize(answer)
    bare = text.strip("()")  # "(3)", "(c)"; not "tensor(1)", which ends in ")" too
    if bare.isdigit():
        return int(bare)
    if len(bare) == 1 and "a" <= bare <= "z" and ord(bare) - ord("a") < len(step.choices):
        return ord(bare) - ord("a") + 1  # "b"; but "x" at a quiz about x and y is a word
    if not text:
        return None
    for find in (_by_text, _by_output, _by_head, _by_numbers, _by_words):
        found = find(step, answer)
        if found is not None:
            return found
    return None


def answer_key(step: Step, answer: str) -> str:
    """The answer as feedback rules name it: a choice number, item numbers, or the text."""
    if step.choices:
        number = _choice_number(step, answer)
        return str(number) if number is not None else normalize(answer)
    if step.items:
        return " ".join(re.findall(r"\d+", answer))
    return normalize(answer)


def names_answer(step: Step, text: str) -> bool:
    """Whether a quiz or predict step knows ``text`` as an answer: a choice, an accepted
    answer, or one its feedback names (``help`` in a quiz about commands is an answer to
    judge, not the ``/help`` command)."""
    if step.kind not in ("quiz", "predict"):
        return False
    key = answer_key(step, text)
    if step.choices and key.isdigit():
        return True
    named = [*step.accept, *(a for rule in step.feedback for a in rule.answer)]
    if isinstance(step.answer, str):
        named.append(step.answer)
    return key in {answer_key(step, a) for a in named}


def _answer_rule_holds(step: Step, rule: FeedbackRule, key: str) -> bool:
    """A quiz rule holds when the answer is one it names; a rule without conditions always."""
    if rule.answer:
        return key in {answer_key(step, a) for a in rule.answer}
    return not (
        rule.calls
        or rule.not_calls
        or rule.failed
        or rule.predicate
        or rule.error
        or rule.error_match
        or rule.output_contains
    )


def _answer_verdict(
    step: Step, answer: str, passed: bool, expected: str, lang: str, why: str = "answer"
) -> Verdict:
    """The answer's one row; a wrong answer's row hides the right one, which it would give away.

    ``why``: the message key for a wrong answer ("answer", or "not_a_choice" for text that
    names none of the choices)."""
    got = answer.strip()
    if passed:
        return Verdict(True, (Check("answer", True, expected, got),))
    key = answer_key(step, answer)
    feedback = tuple(
        Feedback(r.id, r.message.get(lang), "feedback")
        for r in step.feedback
        if _answer_rule_holds(step, r, key)
    )
    return Verdict(
        False,
        (
            Check(
                "answer",
                False,
                _msg("hidden_predict" if step.kind == "predict" else "hidden", lang),
                got,
                _msg(why, lang, count=len(step.choices)),
            ),
        ),
        feedback,
    )


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def accepted_answer(step: Step, lang: str) -> str:
    """The accepted answer to show in ``lang``: the first written in neither script (a number),
    else the first in its script (CJK for zh), else the first."""
    neutral = [a for a in step.accept if not (_CJK.search(a) or re.search("[A-Za-z]", a))]
    mine = [a for a in step.accept if bool(_CJK.search(a)) == (lang == "zh")]
    return (neutral or mine or list(step.accept) or [""])[0]  # "18" before "十八" or "eighteen"


def _choice_verdict(step: Step, answer: str, number: int | None, lang: str) -> Verdict:
    right = tuple(step.answers) or (step.answer,)
    shown = " / ".join(f"{n}. {step.choices[n - 1].get(lang)}".replace("`", "") for n in right)
    why = "answer" if number is not None else "not_a_choice"
    return _answer_verdict(step, answer, number in right, shown, lang, why)


def _all_choices_verdict(step: Step, answer: str, lang: str) -> Verdict:
    """``select = "all"``: the learner names exactly the right choices, in any order."""
    want = set(step.answer or ())
    given = {int(n) for n in re.findall(r"\d+", answer)}
    if not given:
        number = _choice_number(step, answer)
        given = {number} if number is not None else set()
    shown = " ".join(str(n) for n in sorted(want))
    return _answer_verdict(step, answer, given == want, shown, lang)


def check_quiz(step: Step, answer: str, lang: str = "en") -> Verdict:
    """Check a quiz answer (choice, fill-in or ordering); pure, no sandbox."""
    if step.choices and step.select == "all":
        return _all_choices_verdict(step, answer, lang)
    if step.choices:
        return _choice_verdict(step, answer, _choice_number(step, answer), lang)
    if step.items:
        given = tuple(int(n) for n in re.findall(r"\d+", answer))
        orders = [tuple(o) for o in step.answers] or [tuple(step.answer)]
        ok = given in orders
        expected = " / ".join(" ".join(str(n) for n in o) for o in orders)
        return _answer_verdict(
            step, answer, ok, " ".join(map(str, given)) if ok else expected, lang
        )
    ok = normalize(answer) in {normalize(a) for a in step.accept} or any(
        _same_words(answer, a) for a in step.accept
    )
    # A right answer is shown against itself: "十八" typed is not corrected to "18".
    shown = answer.strip() if ok else accepted_answer(step, lang)
    return _answer_verdict(step, answer, ok, shown, lang)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _unquoted(text: str) -> str:
    """The answer without the Markdown backticks around it (`` `tensor(1)` `` -> ``tensor(1)``)."""
    text = text.strip()
    quoted = re.fullmatch(r"(`+)(.*?)\1", text, re.DOTALL)
    return quoted.group(2) if quoted else text


def check_predict(step: Step, answer: str, output: str, lang: str = "en") -> Verdict:
    """Check a prediction: a choice, or typed output compared with what the code printed."""
    typed_output = bool(answer.strip()) and _collapse(_unquoted(answer)) == _collapse(output)
    if step.choices:
        number = _choice_number(step, answer)
        if number is None and typed_output:
            number = step.answer  # the right choice is, by construction, what the code prints
        if number is None and _printed_numbers(answer) is not None:
            # A value none of the choices prints is a wrong prediction, not a typing slip.
            return _answer_verdict(step, answer, False, "", lang)
        return _choice_verdict(step, answer, number, lang)
    ok = typed_output or (
        bool(answer.strip())
        and (
            normalize(answer) in {normalize(a) for a in step.accept}
            or any(_same_words(answer, a) for a in step.accept)
            or _same_value(answer, output)
        )
    )
    return _answer_verdict(step, answer, ok, output.strip(), lang)


def _same_value(typed: str, output: str) -> bool:
    """A typed value equal to the printed one in another form (``[2., 3., 4.]``)."""
    mine, theirs = _printed_numbers(typed), _printed_numbers(output)
    return (
        mine is not None
        and theirs is not None
        and len(mine) == len(theirs)
        and all(
            math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
            for a, b in zip(mine, theirs, strict=True)
        )
    )


def revealed(verdict: Verdict, lang: str = "en") -> Verdict:
    """A wrong prediction's verdict once the real output is shown below it: the answer row
    points there instead of hiding it."""
    if verdict.passed:
        return verdict
    checks = tuple(
        dataclasses.replace(c, expected=_msg("hidden_below", lang)) if c.name == "answer" else c
        for c in verdict.checks
    )
    return dataclasses.replace(verdict, checks=checks)


def run_predict(sandbox: Any, step: Step) -> Any:
    """Run a predict step's code in a fresh namespace: its RunResult holds the real output."""
    sandbox.new_namespace(effective_setup(step), step.seed)
    return sandbox.run(step.code, filename="<predict>", seed=step.seed, record=False)


def check_text_answer(sandbox: Any, step: Step, answer: str, lang: str = "en") -> Verdict:
    """Check a quiz or predict answer (a predict step without choices runs its code)."""
    if step.kind == "predict" and not step.choices:
        return check_predict(step, answer, run_predict(sandbox, step).output, lang)
    return check_quiz(step, answer, lang)
