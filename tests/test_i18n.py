"""The catalogs: every key in every language with the same placeholders; the locale picks the
language; a new catalog is a new language; zh aligns."""

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


def test_there_are_catalogs_for_english_and_chinese() -> None:
    assert i18n.LANGS[0] == "en" and "zh" in i18n.LANGS


# Keys a translation knowingly leaves empty (the sentence reads whole without them); each is a
# gap for the translators, kept visible here rather than hidden by a looser rule.
KNOWN_GAPS: dict[str, set[str]] = {}


OTHERS = [lang for lang in i18n.LANGS if lang != "en"]


@pytest.mark.parametrize("lang", OTHERS)
def test_no_catalog_has_keys_english_lacks(lang: str) -> None:
    assert sorted(set(i18n.catalog(lang)) - set(i18n.catalog("en"))) == [], f"only in {lang}.toml"


@pytest.mark.parametrize(
    "lang, key", [(lang, key) for lang in OTHERS for key in sorted(i18n.catalog("en"))]
)
def test_every_key_exists_in_every_language_with_the_same_placeholders(lang: str, key: str) -> None:
    text, other = i18n.catalog("en")[key], i18n.catalog(lang)
    assert key in other, f"missing in {lang}.toml"
    theirs = other[key]
    if key in KNOWN_GAPS.get(lang, ()):
        assert theirs == "", f"{key} is translated now: take it off KNOWN_GAPS"
        return
    assert type(theirs) is type(text), key
    assert i18n.placeholders(theirs) == i18n.placeholders(text), key
    if isinstance(text, str) and text:
        assert theirs != "", f"{key} is not translated"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_plural_tables_have_an_other_form_and_lists_are_words(lang: str) -> None:
    for key, entry in i18n.catalog(lang).items():
        if isinstance(entry, dict):
            assert "other" in entry and set(entry) <= {"zero", "one", "two", "few", "many", "other"}
        elif isinstance(entry, list):
            assert entry and all(isinstance(w, str) and w for w in entry), key


def test_a_broken_placeholder_is_caught(tmp_path) -> None:
    # the check above would see a translation that renames a field
    assert i18n.placeholders("`{name}` 的形状不对。") != i18n.placeholders("`{nmae}` 的形状不对。")
    assert i18n.placeholders({"one": "1 lesson", "other": "{count} lessons"}) == {"count"}


def test_help_lines_are_translated() -> None:
    en, zh = i18n.help_rows("en"), i18n.help_rows("zh")
    # the same commands; what the learner fills in is named in the learner's language
    command = re.compile(r"/\w+|\?+")
    assert [command.findall(u)[:1] for u, _ in en] == [command.findall(u)[:1] for u, _ in zh]
    for (usage, what_en), (_, what_zh) in zip(en, zh, strict=True):
        assert usage and what_en and what_zh and what_en != what_zh
    assert ("/lang en|zh", "switch the language") in en
    assert ("/save FILE", "save this session as a handout (.html or text)") in en
    usages_zh = " ".join(u for u, _ in zh)
    assert "/save 文件名" in usages_zh and "/graph 变量名" in usages_zh
    assert not re.search(r"\b(FILE|LESSON|STEP|NAME|question|name)\b", usages_zh), usages_zh


def test_a_third_language_is_one_catalog_file(tmp_path, monkeypatch) -> None:
    """A catalog dropped into the folder is a language: listed, detected, used, with
    English for any key it lacks; /help and /lang name it; no code changes."""
    for f in i18n.CATALOGS.glob("*.toml"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "fr.toml").write_text(
        'not_yet = "Pas encore."\n[language]\nname = "Français"\nyes = ["o"]\n'
        'list_sep = ", "\nor = " ou "\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "CATALOGS", tmp_path)
    monkeypatch.setattr(i18n, "LANGS", i18n._languages(tmp_path))
    i18n.catalog.cache_clear()
    try:
        assert i18n.LANGS == ("en", "fr", "zh")
        assert i18n.t("not_yet", "fr") == "Pas encore."
        assert i18n.t("hint", "fr", n=1, total=2) == "hint 1 of 2"  # English where it has none
        assert i18n.detect_lang({"LANG": "fr_FR.UTF-8"}) == "fr"
        assert ("/lang en|fr|zh", "switch the language") in i18n.help_rows("fr")
        assert i18n.choices(["a", "b", "c"], "fr") == "a, b ou c"
        assert "o" in i18n.all_words("language.yes")
    finally:
        i18n.catalog.cache_clear()


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
    for key, zh in i18n.catalog("zh").items():
        if isinstance(zh, str):
            assert not re.search(r"[，。；：！？、）](\*\*)? ", zh), key


@pytest.mark.parametrize("key", ["welcome", "welcome_demo", "course_done", "passed"])
def test_chinese_bold_still_renders_bold(key: str) -> None:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(render.markdown(i18n.t(key, "zh")))
    assert "**" not in console.file.getvalue()
