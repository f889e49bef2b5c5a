"""Questions in plain words: what counts as one, and answers from the glossary and lessons."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.course.lesson import Lesson, Step, Text
from tutor.session import ask

GLOSSARY = """
[[terms]]
en = "tensor"
zh = "张量"
text.en = "An n-dimensional array of numbers."
text.zh = "一个 n 维数字数组。"

[[terms]]
en = "broadcasting"
zh = "广播"
text.en = "Stretching sizes of 1 so that shapes match."
text.zh = "把大小为 1 的维度拉伸，使形状对齐。"

[[terms]]
en = "gradient"
zh = "梯度"
text.en = "How much the output changes when an input changes."
text.zh = "输入变化时输出变化多少。"
"""


@pytest.fixture()
def glossary(tmp_path: Path) -> Path:
    path = tmp_path / "glossary.toml"
    path.write_text(GLOSSARY, encoding="utf-8")
    return path


def _lesson() -> Lesson:
    step = Step(
        "reshape",
        "read",
        Text("Changing the shape", "改变形状"),
        Text(
            "`view` and `reshape` give a tensor a new shape with the same elements.",
            "`view` 和 `reshape` 在元素不变的情况下改变张量的形状。",
        ),
    )
    return Lesson("shapes", 4, Text("Shapes", "形状"), (step,))


@pytest.mark.parametrize(
    "text",
    [
        "what is a tensor?",
        "how do I reshape a tensor",
        "what is broadcasting",
        "?? x",
        "张量是什么？",
        "什么是张量",
        "explain autograd please",
    ],
)
def test_questions(text: str) -> None:
    assert ask.is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "x = torch.zeros(2, 3)",
        "x.shape",
        "print x",
        "x = = 1",
        "for i in range(3)",
        'x = "张量"',
        "tensor",
        "x = (1,",
    ],
)
def test_code_is_not_a_question(text: str) -> None:
    assert not ask.is_question(text)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("why do gradients accumulate", True),
        ("what is a tensor?", True),
        ("什么是广播", True),
        ("广播是什么？", True),
        ("pip 和 import 有什么区别", True),
        ("detach 会复制数据吗", True),
        ("?? float32", True),
        ("an error: the elements differ", False),
        ("torch.float32", False),
        ("float32?", False),
        ("训练", False),
        ("2", False),
    ],
)
def test_asks_outright_where_an_answer_is_expected(text: str, asks: bool) -> None:
    assert ask.asks_outright(text) is asks


def test_chinese_asking_words_are_not_topics() -> None:
    """区别 asks; its 别 must not match 识别, nor 什么 pair up with its neighbours."""
    assert ask.tokens("pip 和 import 有什么区别") == ["pip", "import"]


def test_tokens_cover_words_and_chinese_bigrams() -> None:
    assert ask.tokens("What are the tensors?") == ["tensor"]
    toks = ask.tokens("什么是张量")
    assert "张" in toks and "张量" in toks and "是" not in toks


def test_glossary_term_comes_first_in_english(glossary: Path) -> None:
    index = ask.build_index([_lesson()], glossary, "en")
    found = index.search("what is broadcasting?")
    assert found[0].title == "broadcasting" and found[0].source == "glossary"
    found = index.search("how do I reshape a tensor")
    assert {a.source for a in found} >= {"shapes/reshape"}


def test_answers_in_chinese(glossary: Path) -> None:
    index = ask.build_index([_lesson()], glossary, "zh")
    found = index.search("梯度是什么？")
    assert found[0].title == "梯度（gradient）"  # a Chinese title takes full-width brackets
    assert found[0].text == "输入变化时输出变化多少。"
    assert index.search("怎么改变形状")[0].source == "shapes/reshape"


def test_nothing_matches_gives_nothing(glossary: Path) -> None:
    index = ask.build_index([], glossary, "en")
    assert index.search("zzz qqq?") == []


def test_a_missing_glossary_is_no_error(tmp_path: Path) -> None:
    assert ask.load_glossary(tmp_path / "none.toml", "en") == []
    assert ask.build_index([_lesson()], tmp_path / "none.toml", "en").search("shape")


def test_a_step_answers_with_its_best_paragraph() -> None:
    text = (
        "PyTorch needs Python first; check the version.\n\n"
        "Install it with pip. The package is called torch:\n\n"
        "```\npip install torch\n```\n\n"
        "A GPU build names its CUDA version."
    )
    entries = [
        ask.Entry("Setup · Getting PyTorch", text, "setup/install", kind="read"),
        ask.Entry("Setup · Which command?", "Which command installs PyTorch?", "s/q", kind="quiz"),
    ]
    found = ask.Index(entries).search("what is the difference between pip and import?")
    assert [a.source for a in found] == ["setup/install"]
    assert found[0].text.startswith("Install it with pip.") and "pip install torch" in found[0].text


def test_a_term_spelled_alike_in_both_languages_is_named_once(tmp_path: Path) -> None:
    path = tmp_path / "glossary.toml"
    path.write_text(
        '[[terms]]\nen = "GPU"\nzh = "GPU"\ntext.en = "A graphics processor."\n'
        'text.zh = "图形处理器。"\n',
        encoding="utf-8",
    )
    assert [e.title for e in ask.load_glossary(path, "zh")] == ["GPU"]
    assert [e.title for e in ask.load_glossary(path, "en")] == ["GPU"]
