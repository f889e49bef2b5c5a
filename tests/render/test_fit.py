"""Every table reads at a projector's 60-70 columns: no word, id or file name cut (tutor.render)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from tutor.i18n import help_rows
from tutor.judge.verdict import Check, Verdict
from tutor.progress import StepRecord
from tutor.render import chat, pictures
from tutor.render._fit import Fitted


def _text(renderable: Any, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert len(line) <= width, line


LESSONS = [
    ("4", "creating-tensors", "Creating tensors", 17, 3, 2, False, (40, True)),
    ("5", "attributes-devices", "Attributes, devices, conversion", 12, 0, 0, True, (25, False)),
    ("8b", "autograd-more", "自动微分实战", 8, 8, 0, False, (20, True)),
]


@pytest.mark.parametrize("width", [60, 64, 70])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_keep_every_word_whole(width: int, lang: str) -> None:
    tables = {
        "lessons": (chat.lessons_table(LESSONS, lang), ["creating-tensors", "attributes-devices"]),
        "vars": (
            chat.vars_table(
                [
                    {
                        "name": "embeddings_matrix",
                        "type": "Tensor",
                        "shape": [128, 64],
                        "dtype": "torch.float32",
                        "device": "cpu",
                        "requires_grad": True,
                    }
                ],
                lang,
            ),
            ["embeddings_matrix", "torch.float32"],
        ),
        "progress": (
            chat.progress_table(
                [StepRecord("attributes-devices", "shares-memory-numpy", "passed", 3, 1, "", 75)],
                lang,
                "/home/learner/.local/share/torch-tutor/progress.sqlite3",
            ),
            ["attributes-devices", "shares-memory-numpy"],
        ),
        "help": (chat.help_table(lang), [usage.split()[0] for usage, _ in help_rows(lang)]),
    }
    for name, (table, words) in tables.items():
        shown = _text(table, width)
        _fits(shown, width)
        for word in words:
            assert word in shown, f"{name} at {width}: {word} cut\n{shown}"


def test_a_table_too_wide_for_its_words_becomes_blocks() -> None:
    table = Table(title="T")
    for head in ("first", "second", "third"):
        table.add_column(head)
    table.add_row("a-very-long-identifier", "another-long-identifier", "and-a-third-one")
    shown = _text(Fitted(table), 30)
    _fits(shown, 30)
    assert "a-very-long-identifier" in shown and "third: and-a-third-one" in shown


def test_a_long_verdict_folds_to_failing_rows_with_a_way_to_see_all() -> None:
    checks = [Check(f"{v}.{p}", True, "x", "x") for v in "abc" for p in ("type", "shape")]
    checks += [Check(f"{v}.dtype", True, "f", "f") for v in "abc"]
    checks += [Check("c.values", False, "1.0", "2.0")] + [Check("calls", True)] * 3
    verdict = Verdict(False, tuple(checks))
    for lang, note in (("en", "/verdict shows every row"), ("zh", "/verdict 显示全部")):
        folded = _text(chat.verdict(verdict, lang), 70)
        values = chat.check_label("c.values", lang)
        assert values in folded and "a.shape" not in folded and note in folded
        assert "a.shape" in _text(chat.verdict(verdict, lang, full=True), 70)
    passed = Verdict(True, tuple(Check(c.name, True) for c in checks))
    assert "All 13 checks passed" in _text(chat.verdict(passed, "en"), 70)
    short = Verdict(False, tuple(checks[:4]))
    assert "a.type" in _text(chat.verdict(short, "en"), 70)  # a short table is never folded


def _chain(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"truncated": True}
    for i in range(depth):
        leaf = {"leaf": True, "name": "w", "shape": [2], "requires_grad": True, "has_grad": False}
        node = {"op": "MulBackward0" if i % 2 else "AddBackward0", "children": [node, leaf]}
    return node


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [60, 70, 100])
def test_a_deep_graph_continues_below_instead_of_splitting_names(lang: str, width: int) -> None:
    payload = {
        "kind": "graph",
        "name": "y",
        "shape": [2],
        "dtype": "float32",
        "root": _chain(30),
        "truncated": True,
    }
    shown = _text(pictures.GraphTree(payload, lang), width)
    _fits(shown, width)
    # Continued blocks repeat their node's name in their heading.
    assert shown.count("Backwar") == shown.count("Backward0") >= 30
    assert shown.count("requires_g") == shown.count("requires_grad") == 30
    assert "(graph cut here)" in shown or "已截断" in shown
    continued = "continues below" if lang == "en" else "下接"
    assert (continued in shown) == (width < 100 or (100 - 40) // 4 < 30)
