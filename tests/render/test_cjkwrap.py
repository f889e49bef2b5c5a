"""Chinese text wraps between characters, with punctuation kept off the line starts."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markdown import Markdown

from tutor.render import chat as render  # noqa: F401 - importing render installs the CJK wrapping
from tutor.render._cjkwrap import cjk_words


def _lines(text: str, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(Markdown(text))
    return [line.rstrip() for line in out.getvalue().splitlines()]


def _plain(text: str):  # the splitter rich would use
    from rich._wrap import re_word

    return ((m.start(), m.end(), m.group(0)) for m in re_word.finditer(text))


def test_a_chinese_sentence_fills_each_line() -> None:
    lines = _lines("方括号表示列表，所以你得到的是长度为 1 的 1 维向量。只传入数字本身。", 30)
    # Each line but the last is full (30 cells, give or take one wide character).
    assert all(len(line.encode("gbk")) >= 28 for line in lines[:-1]), lines
    assert (
        "".join(lines).replace(" ", "")
        == "方括号表示列表，所以你得到的是长度为1的1维向量。只传入数字本身。"
    )


def test_closing_punctuation_never_starts_a_line() -> None:
    for width in range(10, 40):
        lines = _lines("这是一个很长的句子，用来检查标点。它不应该出现在行首：对吧？", width)
        assert not any(line.startswith(("，", "。", "：", "？")) for line in lines), (width, lines)


def test_latin_words_stay_whole_and_english_wraps_as_before() -> None:
    text = "Call torch.tensor(3.5) on 一个数字 and read x.shape here"
    units = [u.strip() for _, _, u in cjk_words(text, _plain)]
    assert "torch.tensor(3.5)" in units and "x.shape" in units and "一" in units
    english = "The quick brown fox jumps over the lazy dog"
    assert list(cjk_words(english, _plain)) == list(_plain(english))


def test_units_cover_the_text_exactly() -> None:
    text = "  （注意）梯度会累加，   记得清零。  "
    units = list(cjk_words(text, _plain))
    assert "".join(u for _, _, u in units) == text
    assert all(a[1] == b[0] for a, b in zip(units, units[1:], strict=False))


def test_a_shape_never_breaks_at_its_inner_space() -> None:
    text = (
        "对于形状 (3,) 的 `v`：`v.unsqueeze(0)` 是 (1, 3)，一行；`v.unsqueeze(1)` 是 (3, 1)，一列。"
    )
    for width in range(16, 48):
        lines = _lines(text, width)
        assert not any(line.endswith(("(1,", "(3,")) for line in lines), (width, lines)
        assert "(1, 3)" in "\n".join(lines) and "(3, 1)" in "\n".join(lines), (width, lines)
    units = [
        u.strip() for _, _, u in cjk_words("形状 (4, 16, 3, 64, 64) 与 x.view(3, 4) 相同", _plain)
    ]
    assert "(4, 16, 3, 64, 64)" in units and "x.view(3, 4)" in units


def test_an_ordinal_never_breaks_before_its_counter() -> None:
    # Seen in the shapes lesson at 100 columns: "…（现在是第 1⏎维）". "第 1 维" is one unit.
    text = (
        "原来第 2 维那个大小为 1 的维还在 s 里（现在是第 1 维）。`squeeze(d)` 只去掉第 `d` 维，"
        "第 0 行。"
    )
    for width in range(12, 60):
        lines = _lines(text, width)
        joined = "\n".join(lines)
        for ordinal in ("第 2 维", "第 1 维", "第 d 维", "第 0 行"):
            assert ordinal in joined, (width, ordinal, lines)
    units = [u.strip() for _, _, u in cjk_words("在第 10 步，第 x 列", _plain)]
    assert "第 10 步，" in units and "第 x 列" in units
