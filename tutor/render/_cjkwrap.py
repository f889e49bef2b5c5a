"""Line breaks between Chinese characters for rich, which otherwise breaks at spaces only.

Chinese has no spaces between words, so rich treats a whole sentence as one
"word": it jumps to the next line whole, leaving a wide gap, or is chopped
mid-line. Here a line of text that holds CJK characters is split into
break units of one character each (Latin runs stay whole), with the usual
rules: closing punctuation (``，。）``) never starts a line and opening
punctuation (``（“``) never ends one; a shape ``(1, 3)`` and an ordinal ``第 1 维``
stay whole. Text without CJK is split as rich does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_OPEN = "（「『【《〈“‘"
_CLOSE = "，。、；：！？）」』】》〉”’…"
_HAS_CJK = re.compile(f"[{_CJK}]")
# A shape or a short call, "(1, 3)" or "x.view(3, 4)", is one unit: split at its inner
# space, "(1," ended one line and "3)" began the next.
_ITEM = r"[A-Za-z0-9_.?\[\]-]"
_BRACKETS = rf"[^\s{_CJK}(]*\((?:{_ITEM}+, ?)*{_ITEM}*\)[^\s{_CJK}]*"
# An ordinal, "第 1 维", "第 d 行", is one unit too: "第 1" ended one line and "维" began the next.
_ORDINAL = r"第 ?[A-Za-z0-9_-]{1,6} ?[维行列步课]"
_UNIT = re.compile(rf"\s*[{_OPEN}]*(?:{_ORDINAL}|[{_CJK}]|{_BRACKETS}|[^\s{_CJK}]+)[{_CLOSE}]*\s*")

Words = Callable[[str], Iterable[tuple[int, int, str]]]


def cjk_words(text: str, plain: Words) -> Iterable[tuple[int, int, str]]:
    """Break units of ``text`` as ``(start, end, unit)``; ``plain`` splits text without CJK."""
    if not _HAS_CJK.search(text):
        yield from plain(text)
        return
    position = 0
    while position < len(text):
        match = _UNIT.match(text, position)
        if match is None or match.end() == position:
            # Only whitespace is left: rich's own splitter knows what to do with it.
            for start, end, word in plain(text[position:]):
                yield start + position, end + position, word
            return
        yield match.start(), match.end(), match.group(0)
        position = match.end()


def install() -> None:
    """Teach rich's line wrapping the CJK break units (once; a no-op if rich changed shape)."""
    try:
        from rich import _wrap
    except ImportError:
        return
    plain = getattr(_wrap, "words", None)
    if plain is None or getattr(plain, "_tutor_cjk", False):
        return

    def words(text: str) -> Iterable[tuple[int, int, str]]:
        return cjk_words(text, plain)

    words._tutor_cjk = True  # type: ignore[attr-defined]
    _wrap.words = words


__all__ = ["cjk_words", "install"]
