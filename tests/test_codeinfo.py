"""Facts read from the learner's code: calls, operators, names (no torch needed)."""

from __future__ import annotations

import pytest

from tutor import codeinfo


def test_calls_are_dotted_and_imports_resolved():
    code = "import torch as t\nfrom torch import arange\nx = t.zeros(2)\ny = arange(3)\nx.add_(1)"
    assert {"torch.zeros", "torch.arange", "x.add_"} <= codeinfo.calls(code)


def test_operators_and_augmented_assignments():
    found = codeinfo.calls("c = a @ b\nd = a * b\ne = a / b ** 2\nd *= 2")
    assert {"@", "*", "/", "**", "*="} <= found


def test_matching_rules():
    found = codeinfo.calls("x = torch.nn.init.xavier_uniform_(w)\ny = x.uniform_(0, 1)\nz = a * b")
    assert codeinfo.matches(found, "torch.nn.init.xavier_uniform_")
    assert codeinfo.matches(found, "xavier_uniform_")  # bare name: any call ending in it
    assert codeinfo.matches(found, "init.xavier_uniform_")  # dotted suffix
    assert codeinfo.matches(found, "uniform_")
    assert not codeinfo.matches(found, "torch.uniform_")
    assert codeinfo.matches(found, "*") and not codeinfo.matches(found, "@")
    assert codeinfo.matches(codeinfo.calls("a *= 2"), "*")


def test_calls_any_returns_matching_patterns():
    assert codeinfo.calls_any("torch.ones(3)", ["torch.zeros", "torch.ones"]) == ["torch.ones"]


def test_names_and_assigned():
    code = "y = x.sum()\nfor i in range(3):\n    z = i\ndef f(): pass"
    assert {"x", "y", "z", "i", "range"} <= codeinfo.names(code)
    assert codeinfo.assigned(code) == {"y", "i", "z", "f"}


def test_broken_code_gives_empty_sets():
    assert codeinfo.calls("x = (") == set()
    assert codeinfo.names("x = (") == set()
    assert codeinfo.parse("x = (") is None


def test_relevant_code_keeps_earlier_torch_settings():
    """A seed set in its own input belongs to the answer drawn after it."""
    inputs = ["torch.manual_seed(42)", "print(1)", "x = torch.randn(3)"]
    assert codeinfo.relevant_code(inputs, "x = torch.randn(3)") == (
        "torch.manual_seed(42)\nx = torch.randn(3)"
    )
    assert codeinfo.relevant_code(["y = 1", "print(y)"], "x = 2") == "x = 2"


def test_operand_pairs_of_operators_and_calls():
    import ast

    def pairs(code, ops, calls=(), **kw):
        found = codeinfo.operand_pairs(code, ops, calls, **kw)
        return [(ast.unparse(a), ast.unparse(b)) for a, b in found]

    code = "c = a * b\nc *= 2\nd = torch.mul(a, b)\ne = a.T.mul(b)\nf = a @ b"
    assert sorted(pairs(code, (ast.Mult,), ("mul",))) == [
        ("a", "b"), ("a", "b"), ("a.T", "b"), ("c", "2")
    ]  # fmt: skip
    assert ("c", "2") not in pairs(code, (ast.Mult,), augmented=False)
    assert pairs(code, (ast.MatMult,)) == [("a", "b")]
    assert pairs("m = x < y\nn = x in y", (ast.Lt, ast.In)) == [("x", "y"), ("x", "y")]
    assert codeinfo.is_literal(ast.parse("-1.5", mode="eval").body)
    assert not codeinfo.is_literal(ast.parse("x", mode="eval").body)


@pytest.mark.parametrize(
    ("code", "method", "name"),
    [
        ("arr = w.numpy()", "numpy", "w"),
        ("arr = model.weight.numpy()", "numpy", "model.weight"),
        ("arr = (w * 2).numpy()", "numpy", "(w * 2)"),
        ("arr = w.detach().numpy()", "numpy", "w.detach()"),
        ("m = torch.mean(counts)", "mean", "counts"),
        ("import torch as th\nm = th.mean(counts)", "mean", "counts"),
        ("a = w.numpy()\nb = w.numpy()", "numpy", "w"),
        ("a = w.numpy()\nb = g.numpy()", "numpy", ""),  # which one failed is not known
        ("arr = numpy_of(w)", "numpy", ""),
        ("arr = w.numpy(", "numpy", ""),
        ("x = " + "a" * 40 + ".numpy()", "numpy", ""),
    ],
)
def test_receiver_names_what_a_method_was_called_on(code: str, method: str, name: str) -> None:
    assert codeinfo.receiver(code, method) == name
