"""The colour theme: ``dark`` (light text on a dark background) or ``light``.

One setting for the process (``--theme``, else ``TORCH_TUTOR_THEME``, else the
terminal's own report in ``COLORFGBG``, else dark): it picks the Pygments style of
highlighted code (at the prompt, in messages, in the handout), the style of
inline code spans, and the handout's page colours. Monokai's near-white text is
unreadable on a light terminal; the light theme uses Pygments' ``default`` style,
made for white pages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from rich.theme import Theme as RichTheme

THEMES = ("dark", "light")


@dataclass(frozen=True)
class Theme:
    """What one theme sets."""

    name: str
    code: str  # a Pygments style name
    inline_code: str  # the rich style of `code` spans in messages
    background: tuple[int, int, int]  # the handout page
    foreground: tuple[int, int, int]


_THEMES = {
    "dark": Theme("dark", "monokai", "bold cyan on black", (39, 40, 34), (217, 217, 217)),
    "light": Theme("light", "default", "bold blue on grey93", (255, 255, 255), (24, 24, 24)),
}
_current = _THEMES["dark"]


def detect(environ: Mapping[str, str] | None = None) -> str:
    """The theme asked for by ``TORCH_TUTOR_THEME`` or told by the terminal (``COLORFGBG``,
    "foreground;background": a background of 7 or 15 is light), else ``dark``."""
    env = os.environ if environ is None else environ
    asked = env.get("TORCH_TUTOR_THEME", "").strip().lower()
    if asked in THEMES:
        return asked
    background = env.get("COLORFGBG", "").split(";")[-1].strip()
    return "light" if background in ("7", "15") else "dark"


def use(name: str | None) -> Theme:
    """Make ``name`` the theme (None or ``auto``: ``detect()``); return it."""
    global _current
    chosen = detect() if name in (None, "", "auto") else name
    _current = _THEMES.get(chosen or "dark", _THEMES["dark"])
    return _current


def current() -> Theme:
    """The theme in use."""
    return _current


def code_style() -> str:
    """The Pygments style for highlighted code."""
    return _current.code


def rich_theme() -> RichTheme:
    """The rich styles a Console needs for this theme (inline code spans)."""
    return RichTheme({"markdown.code": _current.inline_code})


__all__ = ["THEMES", "Theme", "code_style", "current", "detect", "rich_theme", "use"]
