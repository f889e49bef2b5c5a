"""The basic renderables: Markdown (CJK lines joined), highlighted code, one-line notes.

UI side (rich, never torch); tutor.render.chat and tutor.render.tables build on them.
"""

from __future__ import annotations

import re

from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.text import Text

from tutor.render import theme
from tutor.render._markdown import KEEP, TutorMarkdown

# The dark theme's code style; the one in use is theme.code_style() (``--theme``).
CODE_THEME = "monokai"


def markdown(text: str) -> Markdown:
    """Markdown with highlighted code blocks (in the theme's code style); a short inline code
    span is never split across two lines."""
    return TutorMarkdown(
        keep_code_whole(join_cjk_lines(text.strip())),
        code_theme=theme.code_style(),
        inline_code_lexer="python",
    )


# An inline code span up to this long moves to the next line whole rather than break at a
# space inside it ("torch.tensor([[1," / "2, 3]])" reads as two broken pieces of code).
WHOLE_CODE = 40
_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def keep_code_whole(text: str) -> str:
    """``text`` with the spaces of its short inline code spans (outside code fences) made
    unbreakable: ``KEEP`` stands in for them until ``TutorMarkdown`` draws a space again."""
    lines, fenced = [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and "`" in line:
            line = _SPAN.sub(
                lambda m: (
                    m.group(0).replace(" ", KEEP) if len(m.group(1)) <= WHOLE_CODE else m.group(0)
                ),
                line,
            )
        lines.append(line)
    return "\n".join(lines)


# CJK ideographs and punctuation (U+2E80-U+9FFF, U+F900-U+FAFF) and full-width forms.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_ENDS_CJK = re.compile(f"[{_CJK}]$")
_STARTS_CJK = re.compile(f" {{0,3}}[{_CJK}]")
_FENCE = re.compile(r" {0,3}(```|~~~)")
_HEADING = re.compile(r" {0,3}#")


def join_cjk_lines(text: str) -> str:
    """Join a paragraph's lines where the break falls between two CJK characters.

    Markdown shows a soft line break as a space, which Chinese text does not
    have ("第一行 第二行"). Code fences, headings and hard breaks (a line
    ending in spaces) keep their line breaks.
    """
    lines: list[str] = []
    fenced = joinable = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced, joinable = not fenced, False
            lines.append(line)
            continue
        if joinable and _STARTS_CJK.match(line):
            lines[-1] += line.lstrip(" ")
        else:
            lines.append(line)
        joinable = not fenced and bool(_ENDS_CJK.search(line)) and not _HEADING.match(lines[-1])
    return "\n".join(lines)


def code(source: str) -> Syntax:
    """Python source, highlighted."""
    return Syntax(
        source.rstrip("\n"),
        "python",
        theme=theme.code_style(),
        background_color="default",
        word_wrap=True,
    )


def program_output(text: str) -> Text:
    """What a program printed, as its terminal would show it (``\r`` rewrites the line), taken
    literally (no markup, no highlighting), never re-wrapped (print it with crop=False)."""
    from tutor.render.terminal import as_shown

    return Text(as_shown(text).rstrip("\n"), no_wrap=True, overflow="ignore")


def tutor_says(text: str) -> Markdown:
    """A short message from the tutor (Markdown)."""
    return markdown(text)


def note(text: str, style: str = "yellow") -> Text:
    """A one-line remark (warnings, plain-word outcomes)."""
    return Text(text, style=style)
