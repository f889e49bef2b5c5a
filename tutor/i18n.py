"""The tutor's own words: one TOML catalog per language in ``tutor/catalogs/`` (en.toml, zh.toml).

``t(key, lang, **fields)`` formats one message; ``LANGS`` are the languages a
catalog exists for (English first), so a new language is a new catalog file.
Used on both sides of the process split (UI, worker and judge): standard
library only. Lesson text lives in the lessons; this module holds the tutor's
own voice.
"""

from __future__ import annotations

import functools
import os
import string
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CATALOGS = Path(__file__).resolve().parent / "catalogs"
BASE = "en"  # the language every other falls back to, key by key

Entry = str | list[str] | dict[str, str]


def _languages(folder: Path = CATALOGS) -> tuple[str, ...]:
    found = sorted(p.stem for p in folder.glob("*.toml"))
    return tuple(sorted(found, key=lambda lang: lang != BASE))


LANGS: tuple[str, ...] = _languages()


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Entry]:
    """``{"a": {"b": "x"}}`` -> ``{"a.b": "x"}``; a table of plural forms stays one entry."""
    flat: dict[str, Entry] = {}
    for key, value in table.items():
        name = prefix + key
        if isinstance(value, dict) and not _is_plural(value):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _is_plural(value: Mapping[str, Any]) -> bool:
    return "other" in value and all(isinstance(v, str) for v in value.values())


@functools.cache
def catalog(lang: str) -> dict[str, Entry]:
    """Every key of ``lang``'s catalog (flattened: ``cli.passed``), read once per process."""
    path = CATALOGS / f"{lang}.toml"
    with path.open("rb") as f:
        return _flatten(tomllib.load(f))


def resolve(lang: str) -> str:
    """The catalog language for ``lang``: itself, its base (``zh_CN`` -> ``zh``), else English."""
    if lang in LANGS:
        return lang
    base = lang.replace("-", "_").split("_")[0].lower()
    return base if base in LANGS else BASE


def entry(key: str, lang: str) -> Entry:
    """The raw catalog entry ``key`` in ``lang``, else in English (KeyError when in neither)."""
    found = catalog(resolve(lang)).get(key)
    return found if found is not None else catalog(BASE)[key]


class Msg:
    """A message not yet in a language: a catalog key and its fields.

    A field may itself be a ``Msg`` (a phrase of the sentence), rendered in the
    same language, so code composes sentences without holding any language's words.
    """

    __slots__ = ("fields", "key")

    def __init__(self, key: str, **fields: Any) -> None:
        self.key = key
        self.fields = fields

    def render(self, lang: str) -> str:
        return t(self.key, lang, **self.fields)

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, **{self.fields!r})"


def t(key: str, lang: str, **fields: Any) -> str:
    """The message ``key`` in ``lang`` (English for any other language), formatted.

    A plural entry (a table with ``one`` and ``other``) is chosen by the ``count``
    field; a field that is a :class:`Msg` is rendered in ``lang`` first.
    """
    fields = {k: v.render(lang) if isinstance(v, Msg) else v for k, v in fields.items()}
    text = entry(key, lang)
    if isinstance(text, dict):
        text = text["one"] if fields.get("count") == 1 and "one" in text else text["other"]
    if not isinstance(text, str):
        raise TypeError(f"catalog entry {key!r} is a list; use words()")
    return text.format(**fields) if fields else text


def words(key: str, lang: str) -> list[str]:
    """A list entry (``language.yes``) in ``lang``, else in English."""
    found = entry(key, lang)
    return list(found) if isinstance(found, list) else [str(found)]


def all_words(key: str) -> list[str]:
    """A list entry gathered from every catalog (yes-words in any language)."""
    return [w for lang in LANGS for w in words(key, lang)]


def per_language(key: str, **fields: Any) -> dict[str, str]:
    """``{lang: message}`` for every catalog: for payloads read in whatever language is set."""
    return {lang: t(key, lang, **fields) for lang in LANGS}


def choices(items: list[str], lang: str) -> str:
    """``a or b``, ``a, b or c`` in ``lang``'s words."""
    if len(items) < 2:
        return "".join(items)
    return t("language.list_sep", lang).join(items[:-1]) + t("language.or", lang) + items[-1]


def placeholders(text: Entry) -> set[str]:
    """The field names a catalog entry formats (``{name}``, ``{seconds:g}`` -> name, seconds)."""
    texts = (
        list(text.values()) if isinstance(text, dict) else [text] if isinstance(text, str) else []
    )
    return {f for s in texts for _, f, _, _ in string.Formatter().parse(s) if f}


def detect_lang(environ: Mapping[str, str] | None = None) -> str:
    """The catalog language of the first set of LC_ALL, LC_MESSAGES, LANG (``zh_CN.UTF-8`` ->
    ``zh``), else English."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key)
        if value:
            return resolve(value.split(".")[0])
    return BASE


# /help lists the commands in this order; what each does is in the catalog's [help] table.
HELP_COMMANDS: tuple[str, ...] = (
    "/help",
    "/hint",
    "/solution",
    "/skip",
    "/back",
    "/next",
    "/reset",
    "/undo",
    "/check",
    "/explain",
    "/edit",
    "/save FILE",
    "/lessons",
    "/goto LESSON[.STEP]",
    "/vars [NAME]",
    "/env",
    "/graph NAME",
    "/lang",
    "/quit",
    "?name",
    "?? question",
)


# Commands whose usage has a placeholder: its words are in the catalog's [usage] table.
_USAGE = {
    "/save FILE": "syntax.save",
    "/goto LESSON[.STEP]": "syntax.goto",
    "/graph NAME": "syntax.graph",
    "/vars [NAME]": "syntax.vars",
    "?name": "syntax.doc",
    "?? question": "syntax.ask",
}


def help_rows(lang: str) -> list[tuple[str, str]]:
    """(usage, what it does) for /help, the usage's placeholders in ``lang`` (``/save 文件名``);
    ``/lang`` shows the languages there are catalogs for."""
    usage = {"/lang": "/lang " + "|".join(LANGS)}
    return [
        (usage.get(c) or (t(_USAGE[c], lang) if c in _USAGE else c), t(f"help.{c}", lang))
        for c in HELP_COMMANDS
    ]


__all__ = [
    "BASE",
    "CATALOGS",
    "HELP_COMMANDS",
    "LANGS",
    "Msg",
    "all_words",
    "catalog",
    "choices",
    "detect_lang",
    "entry",
    "help_rows",
    "per_language",
    "placeholders",
    "resolve",
    "t",
    "words",
]
