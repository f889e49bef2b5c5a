"""``?name``: torch's reST/LaTeX docstrings as readable Markdown, and the Chinese one-liners
(issue 20, C18)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import torch

from tutor import codeinfo
from tutor.course import load_course
from tutor.render.docstring import latex, readable, summaries, summary
from tutor.sandbox.introspect import canonical, inspect_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (r"\left\lceil \frac{\text{end} - \text{start}}{\text{step}} \right\rceil",
         "⌈(end − start) / step⌉"),
        (r"\text{out}_{{i+1}} = \text{out}_{i} + \text{step}", "out[i+1] = out[i] + step"),
        (r"y = xA^T + b", "y = xAᵀ + b"),
        (r"H_\text{in} = \text{in\_features}", "H_in = in_features"),
        (r"\mathcal{U}(-\sqrt{k}, \sqrt{k})", "U(-√k, √k)"),
        (r"k = \frac{1}{\text{in\_features}}", "k = 1 / in_features"),
        (r"x^{2} + \sigma^2 \leq \infty", "x² + σ² ≤ ∞"),
        (r"y_n \not= \text{ignore\_index}", "y_n ≠ ignore_index"),
        (r"\forall i = d, \dots, d+k-1", "∀ i = d, …, d+k−1"),
        (r"\text{stride}[i] = \text{stride}[i+1] \times \text{size}[i+1]",
         "stride[i] = stride[i+1] × size[i+1]"),
    ],
)  # fmt: skip
def test_formulas_read_as_plain_symbols(source: str, shown: str) -> None:
    assert latex(source) == shown


def test_roles_literals_and_directives_become_markdown() -> None:
    doc = """Returns :attr:`step` from :func:`~torch.get_default_dtype` and ``[start, end)``;
see :ref:`the notes <numerics>` and :class:`torch.dtype`.

.. warning::
    Do not do this.

.. note:: One line
    and its second line.

Args:
    start (Number, optional): the starting value.
        Default: ``0``.
    end (Number): the end

Example::

    >>> torch.arange(3)
    tensor([0, 1, 2])
"""
    text = readable(doc)
    assert "`step`" in text and "`get_default_dtype`" in text and "`[start, end)`" in text
    assert "the notes" in text and "numerics" not in text and "`torch.dtype`" in text
    assert "**Warning:** Do not do this." in text
    assert "**Note:** One line and its second line." in text
    assert "- **start** (Number, optional): the starting value. Default: `0`." in text
    assert "```python\n>>> torch.arange(3)\ntensor([0, 1, 2])\n```" in text
    assert not re.search(r":\w+:`|(?<!`)``(?!`)|^\.\. ", text, re.M)


_RAW = re.compile(
    r":(math|attr|func|meth|class|ref):`|(?<!`)``(?!`)|^\s*\.\. \w+::|\\(frac|text|left)", re.M
)


@pytest.mark.parametrize(
    "name",
    ["torch.arange", "torch.linspace", "torch.from_numpy", "torch.randint", "torch.nn.Linear",
     "torch.Tensor.view", "torch.optim.SGD", "torch.nn.CrossEntropyLoss", "torch.matmul",
     "torch.Tensor.backward", "torch.utils.data.DataLoader", "torch.load"],
)  # fmt: skip
def test_no_raw_markup_is_left_in_the_docstrings_the_course_meets(name: str) -> None:
    obj = eval(name, {"torch": torch})  # noqa: S307 - a fixed list of names
    text = readable(inspect.getdoc(obj) or "")
    assert text.strip()
    left = _RAW.search(text)
    assert left is None, f"{name}: {left.group(0)!r} left in:\n{text}"


class _Worker:
    def __init__(self, namespace: dict[str, object]) -> None:
        self.namespace = namespace


def _course_calls() -> set[str]:
    """Every torch function or class a lesson's solution or set-up calls by its full name."""
    lessons, _ = load_course([ROOT / "lessons"])
    found: set[str] = set()
    for lesson in lessons:
        for step in lesson.steps:
            for code in (step.solution or "", step.setup or ""):
                found |= {c for c in codeinfo.calls(code) if c.startswith("torch.")}
    return found


def test_every_torch_call_of_the_course_has_a_chinese_line() -> None:
    missing = []
    for name in sorted(_course_calls()):
        info = inspect_name(_Worker({"torch": torch}), name)
        if not info["found"]:
            continue
        if summary([info["canonical"], name], "zh") is None:
            missing.append(f"{name} ({info['canonical']})")
    assert not missing, "no Chinese line for: " + ", ".join(missing)


@pytest.mark.parametrize(
    ("typed", "namespace", "key"),
    [
        ("x.add_", {"x": torch.zeros(2)}, "Tensor.add_"),
        ("x.backward", {"x": torch.zeros(2)}, "Tensor.backward"),
        ("torch.Tensor.view", {}, "Tensor.view"),
        ("nn.Linear", {"nn": torch.nn}, "torch.nn.Linear"),
        ("model.parameters", {"model": torch.nn.Linear(2, 1)}, "torch.nn.Module.parameters"),
        ("torch.optim.SGD", {}, "torch.optim.SGD"),
        ("torch.manual_seed", {}, "torch.manual_seed"),
        ("torch.no_grad", {}, "torch.no_grad"),
    ],
)  # fmt: skip
def test_a_name_reached_any_way_finds_its_line(typed: str, namespace: dict, key: str) -> None:
    info = inspect_name(_Worker({"torch": torch, **namespace}), typed)
    assert info["canonical"] == key
    assert summary([info["canonical"], typed], "zh") == summaries("zh")[key]


def test_english_has_no_summaries_and_an_unknown_name_has_none() -> None:
    assert summaries("en") == {}
    assert summary(["torch.nn.functional.hardtanh"], "zh") is None
    assert canonical(torch.float32) == ""
