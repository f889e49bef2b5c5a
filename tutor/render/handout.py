"""The session as a self-contained HTML page: a screen theme, a print stylesheet, CJK that lines up.

``page(console, title, lang, theme)`` exports what a recording rich Console holds.
Styles go into a stylesheet (classes, not inline styles), so the page can carry two
sets of colours: the theme's for the screen, and for print a white page with every
colour made dark enough to read on it (a dark theme's colours have their lightness
turned over, hue kept: monokai's near-white text prints near-black), so a printed or
PDF handout has no black pages.

Alignment: rich lays the transcript out in cells, a CJK character taking two. A
browser only agrees when a CJK character is exactly as wide as two Latin ones, which
no mix of a Latin and a CJK font promises (DejaVu Sans Mono's 0.6 em against a CJK
font's 1 em). So every wide character sits in a box two ``ch`` wide: the box-drawing
borders of a panel line up in Chinese as in English, whatever fonts the reader has.
The font stack still names CJK monospace fonts (Noto Sans Mono CJK, Sarasa Mono,
Source Han Mono, WenQuanYi Zen Hei Mono ...) so the characters in those boxes are
drawn in a monospace design, after a Latin monospace font that carries the
box-drawing characters at one ``ch``.
"""

from __future__ import annotations

import colorsys
import re
import unicodedata
from html import escape

from rich.console import Console
from rich.terminal_theme import MONOKAI, TerminalTheme

from tutor.render.theme import Theme

# Latin monospace fonts with box drawing first (one ch each), then CJK monospace fonts.
FONTS = (
    "'DejaVu Sans Mono'",
    "Menlo",
    "Consolas",
    "'Liberation Mono'",
    "'Noto Sans Mono CJK SC'",
    "'Noto Sans Mono CJK TC'",
    "'Noto Sans Mono CJK JP'",
    "'Sarasa Mono SC'",
    "'Source Han Mono SC'",
    "'WenQuanYi Zen Hei Mono'",
    "'Microsoft YaHei Mono'",
    "'MS Gothic'",
    "monospace",
)

# A white page and ANSI colours that read on it (rich's default terminal palette, with the
# bright ones darkened).
LIGHT = TerminalTheme(
    (255, 255, 255),
    (24, 24, 24),
    [
        (0, 0, 0),
        (170, 20, 20),
        (0, 120, 0),
        (140, 100, 0),
        (20, 60, 190),
        (140, 30, 140),
        (0, 115, 130),
        (90, 90, 90),
        (110, 110, 110),
        (200, 30, 30),
        (0, 140, 0),
        (160, 115, 0),
        (40, 80, 210),
        (170, 40, 170),
        (0, 130, 150),
        (40, 40, 40),
    ],
)

_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{
    color: {foreground};
    background-color: {background};
    margin: 1.5em;
}}
pre.transcript {{
    font-family: {fonts};
    font-size: 14px;
    line-height: 1.2;
    margin: 0;
}}
pre.transcript code {{ font-family: inherit; }}
/* A wide (CJK) character fills exactly two cells, as in the terminal. */
.w {{ display: inline-block; width: 2ch; text-align: center; }}
{screen}
@media print {{
    @page {{ margin: 1.5cm; }}
    html, body {{ color: #181818; background: #ffffff; margin: 0; }}
    pre.transcript {{ font-size: 9pt; white-space: pre-wrap; }}
{printed}
}}
</style>
</head>
<body>
<pre class="transcript"><code>{code}</code></pre>
</body>
</html>
"""

_RULE = re.compile(r"^\.(r\d+) \{(.*)\}$")
_HEX = re.compile(r"(background-color|text-decoration-color|color): (#[0-9a-fA-F]{6})")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


_WIDE_RUN = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


def boxed_wide(code: str) -> str:
    """Every wide character of the exported (escaped) text in a two-cell box."""
    return _WIDE_RUN.sub(
        lambda m: f'<span class="w">{m.group(0)}</span>' if _wide(m.group(0)) else m.group(0),
        code,
    )


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def for_paper(color: str, background: bool, dark_theme: bool) -> str:
    """A colour made readable on white: a dark theme's is turned over in lightness (its hue
    kept); text is kept dark enough and a background light enough for a printer."""
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, lightness, s = colorsys.rgb_to_hls(r, g, b)
    if dark_theme:
        lightness = 1.0 - lightness
    lightness = max(lightness, 0.88) if background else min(lightness, 0.42)
    return _hex(colorsys.hls_to_rgb(h, lightness, s))


def _print_rules(stylesheet: str, dark_theme: bool) -> str:
    """The stylesheet again, each colour made readable on paper."""
    rules = []
    for line in stylesheet.splitlines():
        found = _RULE.match(line.strip())
        if not found:
            continue
        body = _HEX.sub(
            lambda m: (
                f"{m.group(1)}: "
                f"{for_paper(m.group(2), m.group(1) == 'background-color', dark_theme)}"
            ),
            found.group(2),
        )
        rules.append(f"    .{found.group(1)} {{{body}}}")
    return "\n".join(rules)


def page(console: Console, title: str, lang: str, theme: Theme) -> str:
    """The recorded transcript as a page (``console`` must record; nothing is cleared)."""
    terminal = MONOKAI if theme.name == "dark" else LIGHT
    fragment = console.export_html(
        theme=terminal, clear=False, inline_styles=False, code_format="{stylesheet}\x00{code}"
    )
    stylesheet, _, code = fragment.partition("\x00")
    return _PAGE.format(
        lang="zh-CN" if lang == "zh" else "en",
        title=escape(title),
        foreground=terminal.foreground_color.hex,
        background=terminal.background_color.hex,
        fonts=", ".join(FONTS),
        screen=stylesheet,
        printed=_print_rules(stylesheet, theme.name == "dark"),
        code=boxed_wide(code),
    )


__all__ = ["FONTS", "LIGHT", "boxed_wide", "for_paper", "page"]
