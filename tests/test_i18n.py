"""Every tutor string exists in both languages; the locale picks the language; zh aligns."""

from __future__ import annotations

import io
import re
import string

import pytest
from rich.console import Console

from tutor import i18n
from tutor.render import chat as render


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.STRINGS))
def test_every_string_has_both_languages_with_the_same_fields(key: str) -> None:
    en, zh = i18n.STRINGS[key]
    assert (en == "") == (zh == ""), key
    assert _fields(en) == _fields(zh), key


def test_help_lines_are_translated() -> None:
    for usage, en, zh in i18n.HELP:
        assert usage and en and zh and en != zh


def test_t_formats_and_falls_back_to_english() -> None:
    assert i18n.t("hint", "en", n=2, total=3) == "hint 2 of 3"
    assert i18n.t("hint", "zh", n=2, total=3) == "提示 2/3"
    assert i18n.t("hint", "fr", n=1, total=1) == "hint 1 of 1"


@pytest.mark.parametrize(
    "env, lang",
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_CN"}, "zh"),
        ({}, "en"),
    ],
)
def test_detect_lang_reads_the_locale(env: dict[str, str], lang: str) -> None:
    assert i18n.detect_lang(env) == lang


def test_a_chinese_table_renders_aligned() -> None:
    rows = [
        {
            "name": "张量",
            "type": "Tensor",
            "shape": [2, 3],
            "dtype": "torch.float32",
            "device": "cpu",
            "requires_grad": False,
        },
        {
            "name": "x",
            "type": "int",
            "shape": None,
            "dtype": None,
            "device": None,
            "requires_grad": None,
        },
    ]
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(render.vars_table(rows, "zh"))
    lines = console.file.getvalue().splitlines()
    assert "名称" in lines[1] and "张量" in "".join(lines)
    widths = {console.measure(line).maximum for line in lines if line}
    # Every line of the box has the same width in terminal cells, wide characters included.
    assert len({Console(width=200).measure(line).maximum for line in lines}) == 1
    assert len(widths) == 1
    border_cols = [[i for i, _ in enumerate(_cells(line)) if _ in "│┃╭╮╰╯┼├┤"] for line in lines]
    assert all(cols[-1] == border_cols[0][-1] for cols in border_cols if cols)


def _cells(line: str) -> list[str]:
    """The line as terminal cells: a wide character takes two."""
    from rich.cells import cell_len

    out: list[str] = []
    for ch in line:
        out += [ch] + [""] * (cell_len(ch) - 1)
    return out


def test_no_space_after_full_width_punctuation() -> None:
    for key, (_, zh) in i18n.STRINGS.items():
        assert not re.search(r"[，。；：！？、）](\*\*)? ", zh), key


@pytest.mark.parametrize("key", ["welcome", "welcome_demo", "course_done", "passed"])
def test_chinese_bold_still_renders_bold(key: str) -> None:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(render.markdown(i18n.t(key, "zh")))
    assert "**" not in console.file.getvalue()
