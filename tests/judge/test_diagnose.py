"""Each detector: a wrong answer that triggers it, and the right answer that does not."""

from __future__ import annotations

import dataclasses
import itertools
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tutor.judge.diagnose import detect, value_picture
from tutor.judge.snapshot import Value, load, take

_COUNTER = itertools.count()


def snap(tmp: Path, namespace: dict[str, Any], names: list[str] | None = None) -> dict[str, Value]:
    """Values of live objects, exactly as the judge sees them (take in, load out)."""
    dest = tmp / f"snap{next(_COUNTER)}"
    dest.mkdir()
    take(namespace, names or [n for n in namespace if not n.startswith("_")], str(dest))
    return load(str(dest))


def run(code: str, setup: str = "") -> dict[str, Any]:
    """Execute set-up and code the way the worker would, in a namespace with torch."""
    namespace: dict[str, Any] = {"torch": torch, "np": np}
    exec(setup + "\n" + code, namespace)  # noqa: S102 - test fixtures, our own code
    namespace.pop("__builtins__", None)
    return {k: v for k, v in namespace.items() if k not in ("torch", "np")}


def diagnose(
    tmp: Path,
    var: str,
    code: str,
    solution: str,
    setup: str = "",
    expect: dict[str, Any] | None = None,
    lang: str = "en",
    *,
    with_context: bool = True,
    pass_solution: bool = False,
) -> list[str]:
    """Run learner and reference code, snapshot both, and return the detector ids."""
    learner = snap(tmp, run(code, setup))
    reference = snap(tmp, run(solution, setup))
    found = detect(
        {"var": var, **(expect or {})},
        learner.get(var, Value(var, "missing", "")),
        reference.get(var),
        code,
        lang,
        context=learner if with_context else None,
        ref_context=reference if with_context else None,
        solution=solution if pass_solution else "",
    )
    for f in found:
        assert f.kind == "diagnosis" and f.message
    return [f.id for f in found]


def test_transposed(tmp_path: Path) -> None:
    setup = "a = torch.arange(6.).reshape(2, 3)\nb = torch.arange(12.).reshape(3, 4)"
    assert diagnose(tmp_path, "c", "c = (a @ b).T", "c = a @ b", setup) == ["transposed"]
    learner = snap(tmp_path, run("c = (a @ b).T", setup))
    reference = snap(tmp_path, run("c = a @ b", setup))
    message = detect({"var": "c"}, learner["c"], reference["c"], "", "en")[0].message
    assert "shape (4, 2), the expected result has (2, 4)" in message
    assert diagnose(tmp_path, "c", "c = a @ b", "c = a @ b", setup) == []


def test_transposed_square(tmp_path: Path) -> None:
    setup = "m = torch.tensor([[1., 2.], [3., 4.]])"
    learner = snap(tmp_path, run("y = m.T", setup))
    reference = snap(tmp_path, run("y = m.clone()", setup))
    found = detect({"var": "y"}, learner["y"], reference["y"], "y = m.T", "en")
    assert [f.id for f in found] == ["transposed"]
    assert "`y.T` holds exactly the expected values" in found[0].message
    assert "dims you swapped" in found[0].message and "A @ B" not in found[0].message


def test_transposed_matmul_names_operand_order(tmp_path: Path) -> None:
    setup = "a = torch.arange(6.).reshape(2, 3)\nb = torch.arange(12.).reshape(3, 4)"
    learner = snap(tmp_path, run("c = (a @ b).T", setup))
    reference = snap(tmp_path, run("c = a @ b", setup))
    found = detect({"var": "c"}, learner["c"], reference["c"], "c = (a @ b).T", "en")
    assert "(A @ B).T == B.T @ A.T" in found[0].message


def test_transposed_quiet_for_constant_values(tmp_path: Path) -> None:
    """zeros(3, 2) for zeros(2, 3) is a shape mistake; every constant tensor "transposes"."""
    assert diagnose(tmp_path, "z", "z = torch.zeros(3, 2)", "z = torch.zeros(2, 3)") == []
    assert diagnose(tmp_path, "z", "z = torch.ones(3, 2)", "z = torch.ones(2, 3)") == []


def test_mul_vs_matmul_by_values(tmp_path: Path) -> None:
    setup = "torch.manual_seed(0)\na = torch.randn(2, 2)\nb = torch.randn(2, 2)"
    assert diagnose(tmp_path, "c", "c = a * b", "c = a @ b", setup) == ["mul-vs-matmul"]
    assert diagnose(tmp_path, "c", "c = a @ b", "c = a @ b", setup) == []
    # the same operator on other operands is another mistake: no diagnosis
    assert diagnose(tmp_path, "c", "c = a * a", "c = a @ b", setup) == []


def test_mul_vs_matmul_from_the_solution_when_operands_are_unknown(tmp_path: Path) -> None:
    setup = "a = torch.ones(3, 2)\nb = torch.ones(2)"
    ids = diagnose(
        tmp_path, "c", "c = a * b", "c = a @ b", setup, with_context=False, pass_solution=True
    )
    assert "mul-vs-matmul" in ids
    assert diagnose(tmp_path, "c", "c = a * b", "c = a @ b", setup, with_context=False) == []


def test_matmul_vs_mul(tmp_path: Path) -> None:
    setup = "a = torch.tensor([[1., 2.], [3., 4.]])\nb = torch.tensor([[5., 6.], [7., 8.]])"
    assert diagnose(tmp_path, "c", "c = a @ b", "c = a * b", setup) == ["matmul-vs-mul"]
    assert diagnose(tmp_path, "c", "c = torch.matmul(a, b)", "c = a * b", setup) == [
        "matmul-vs-mul"
    ]
    assert diagnose(tmp_path, "c", "c = a.mul(b)", "c = a * b", setup) == []


def test_int_not_float(tmp_path: Path) -> None:
    ids = diagnose(tmp_path, "x", "x = torch.tensor([1, 2, 3])", "x = torch.tensor([1., 2., 3.])")
    assert ids == ["int-not-float"]
    assert (
        diagnose(tmp_path, "x", "x = torch.tensor([1., 2., 3.])", "x = torch.tensor([1., 2., 3.])")
        == []
    )


def test_float_not_int(tmp_path: Path) -> None:
    ids = diagnose(tmp_path, "x", "x = torch.tensor([1., 2.])", "x = torch.tensor([1, 2])")
    assert ids == ["float-not-int"]
    assert diagnose(tmp_path, "x", "x = torch.tensor([1, 2])", "x = torch.tensor([1, 2])") == []


def test_float_not_int_names_the_cause_the_code_shows(tmp_path: Path) -> None:
    def message(code: str) -> str:
        learner = snap(tmp_path, run(code))
        reference = snap(tmp_path, run("x = torch.tensor([1, 2])"))
        return detect({"var": "x"}, learner["x"], reference["x"], code, "en")[0].message

    assert "`torch.Tensor(...)` always makes float32" in message("x = torch.Tensor([1, 2])")
    assert "instead of `1.0`" in message("x = torch.tensor([1.0, 2])")
    plain = message("x = torch.tensor([1, 2]) / 1")
    assert "1.0" not in plain and "torch.Tensor" not in plain and "`.long()`" in plain


def test_arange_end(tmp_path: Path) -> None:
    solution = "x = torch.arange(0, 11, 2)"
    assert diagnose(tmp_path, "x", "x = torch.arange(0, 10, 2)", solution) == ["arange-end"]
    assert diagnose(tmp_path, "x", "x = torch.arange(0, 13, 2)", solution) == ["arange-end"]
    assert diagnose(tmp_path, "x", solution, solution) == []
    # the message quotes the learner's own last value
    learner = snap(tmp_path, run("x = torch.arange(0, 10, 2)"))
    reference = snap(tmp_path, run(solution))
    message = detect({"var": "x"}, learner["x"], reference["x"], "", "en")[0].message
    assert "stops at 8" in message and "10" in message


def test_linspace_count(tmp_path: Path) -> None:
    solution = "x = torch.linspace(0, 1, 5)"
    assert diagnose(tmp_path, "x", "x = torch.linspace(0, 1, 4)", solution) == ["linspace-count"]
    assert diagnose(tmp_path, "x", solution, solution) == []


def test_unsqueeze_dim(tmp_path: Path) -> None:
    setup = "v = torch.tensor([1., 2., 3.])"
    solution = "y = v.unsqueeze(1)"
    assert diagnose(tmp_path, "y", "y = v.unsqueeze(0)", solution, setup) == ["unsqueeze-dim"]
    assert diagnose(tmp_path, "y", solution, solution, setup) == []


def test_squeeze_dim(tmp_path: Path) -> None:
    setup = "t = torch.ones(1, 3, 1)"
    solution = "y = t.squeeze(0)"
    assert diagnose(tmp_path, "y", "y = t.squeeze()", solution, setup) == ["squeeze-dim"]
    assert diagnose(tmp_path, "y", solution, solution, setup) == []


def test_broadcast_bigger(tmp_path: Path) -> None:
    setup = "a = torch.tensor([1., 2., 3.])\nb = torch.tensor([[10.], [20.], [30.]])"
    solution = "c = a + b.squeeze(1)"
    learner = snap(tmp_path, run("c = a + b", setup))
    reference = snap(tmp_path, run(solution, setup))
    found = detect({"var": "c"}, learner["c"], reference["c"], "c = a + b", "en", context=learner)
    assert [f.id for f in found] == ["broadcast-bigger"]
    assert "(3, 3)" in found[0].message and "`b` (3, 1)" in found[0].message
    assert diagnose(tmp_path, "c", solution, solution, setup) == []


def test_grad_accumulated(tmp_path: Path) -> None:
    setup = "x = torch.tensor([2.0, 3.0], requires_grad=True)"
    once = "y = (x ** 2).sum()\ny.backward()"
    twice = once + "\ny = (x ** 2).sum()\ny.backward()"
    assert diagnose(tmp_path, "x", twice, once, setup, {"props": ["grad"]}) == ["grad-accumulated"]
    assert diagnose(tmp_path, "x.grad", twice, once, setup) == ["grad-accumulated"]
    assert diagnose(tmp_path, "x", once, once, setup, {"props": ["grad"]}) == []
    # an explicit expected gradient in the lesson works too
    thrice = twice + "\ny = (x ** 2).sum()\ny.backward()"
    learner = snap(tmp_path, run(thrice, setup))
    found = detect(
        {"var": "x", "grad": [4.0, 6.0]}, learner["x"], None, thrice, "zh", context=learner
    )
    assert [f.id for f in found] == ["grad-accumulated"] and "3 倍" in found[0].message
    # three times the gradient from code that calls backward() twice: not "ran 3 times"
    found = detect({"var": "x", "grad": [4.0, 6.0]}, learner["x"], None, twice, "en")
    assert "grad-accumulated" not in [f.id for f in found]


def test_grad_non_leaf(tmp_path: Path) -> None:
    setup = "x = torch.tensor([1.0, 2.0], requires_grad=True)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns when a non-leaf's .grad is read
        wrong = "y = x * 3\ny.sum().backward()\ng = y.grad"
        right = "y = x * 3\ny.sum().backward()\ng = x.grad"
        ids = diagnose(tmp_path, "g", wrong, right, setup)
        assert ids == ["grad-non-leaf"]
        learner = snap(tmp_path, run(wrong, setup))
        found = detect({"var": "g"}, learner["g"], None, wrong, "en", context=learner)
        assert "`x.grad`" in found[0].message and "MulBackward0" in found[0].message
        # without the intermediate's snapshot the code still shows y was computed
        assert [f.id for f in detect({"var": "g"}, learner["g"], None, wrong, "en")] == [
            "grad-non-leaf"
        ]
        assert diagnose(tmp_path, "g", right, right, setup) == []


def test_grad_missing_requires_grad(tmp_path: Path) -> None:
    wrong = "x = torch.tensor([2.0])\ny = x ** 2"
    right = "x = torch.tensor([2.0], requires_grad=True)\ny = x ** 2\ny.backward()"
    ids = diagnose(tmp_path, "x", wrong, right, expect={"props": ["requires_grad", "grad"]})
    assert ids == ["grad-missing-requires-grad"]
    assert diagnose(tmp_path, "x", right, right, expect={"props": ["requires_grad", "grad"]}) == []


def test_grad_missing_on_a_given_tensor_says_switch_it_on(tmp_path: Path) -> None:
    setup = "w = torch.tensor([2.0])"
    learner = snap(tmp_path, run("print(w.requires_grad)", setup))
    reference = snap(tmp_path, run("w.requires_grad_()", setup))
    expect = {"var": "w", "requires_grad": True, "failed": ["w.requires_grad"]}
    found = detect(expect, learner["w"], reference["w"], "print(w.requires_grad)", "en")
    assert [f.id for f in found] == ["grad-missing-requires-grad"]
    message = found[0].message
    assert "`w.requires_grad_()`" in message and "torch.tensor([2.0]" not in message


def test_copy_not_shared(tmp_path: Path) -> None:
    setup = "a = np.arange(3.0)"
    expect = {"shares_memory_with": "a"}
    ids = diagnose(tmp_path, "t", "t = torch.tensor(a)", "t = torch.from_numpy(a)", setup, expect)
    assert ids == ["copy-not-shared"]
    assert (
        diagnose(tmp_path, "t", "t = torch.from_numpy(a)", "t = torch.from_numpy(a)", setup, expect)
        == []
    )


def test_shared_not_copy(tmp_path: Path) -> None:
    setup = "t = torch.ones(3)"
    expect = {"independent_of": "t"}
    ids = diagnose(tmp_path, "u", "u = t.detach()", "u = t.clone()", setup, expect)
    assert ids == ["shared-not-copy"]
    assert diagnose(tmp_path, "u", "u = t.clone()", "u = t.clone()", setup, expect) == []


def test_wrong_device(tmp_path: Path) -> None:
    values = snap(tmp_path, {"x": torch.ones(2)})
    on_gpu = dataclasses.replace(values["x"], device="cuda:0")
    found = detect({"var": "x"}, values["x"], on_gpu, "x = torch.ones(2)", "en")
    assert [f.id for f in found] == ["wrong-device"]
    assert "`cpu`" in found[0].message and "`cuda:0`" in found[0].message
    assert detect({"var": "x"}, values["x"], values["x"], "", "en") == []
    assert [
        f.id for f in detect({"var": "x", "device": "cuda"}, values["x"], values["x"], "", "en")
    ] == ["wrong-device"]


def test_list_not_tensor(tmp_path: Path) -> None:
    ids = diagnose(tmp_path, "x", "x = [1.0, 2.0]", "x = torch.tensor([1.0, 2.0])")
    assert ids == ["list-not-tensor"]
    assert (
        diagnose(tmp_path, "x", "x = torch.tensor([1.0, 2.0])", "x = torch.tensor([1.0, 2.0])")
        == []
    )


def test_ndarray_not_tensor(tmp_path: Path) -> None:
    ids = diagnose(tmp_path, "x", "x = np.array([1.0, 2.0])", "x = torch.tensor([1.0, 2.0])")
    assert ids == ["ndarray-not-tensor"]
    assert (
        diagnose(
            tmp_path,
            "x",
            "x = torch.from_numpy(np.array([1.0, 2.0])).float()",
            "x = torch.tensor([1.0, 2.0])",
        )
        == []
    )


def test_every_detector_speaks_chinese(tmp_path: Path) -> None:
    ids = diagnose(
        tmp_path, "x", "x = torch.arange(0, 10, 2)", "x = torch.arange(0, 11, 2)", lang="zh"
    )
    assert ids == ["arange-end"]
    learner = snap(tmp_path, run("x = [1, 2]"))
    reference = snap(tmp_path, run("x = torch.tensor([1, 2])"))
    message = detect({"var": "x"}, learner["x"], reference["x"], "", "zh")[0].message
    assert "不是张量" in message


def test_missing_value_gives_no_diagnosis(tmp_path: Path) -> None:
    reference = snap(tmp_path, {"x": torch.ones(2)})
    assert detect({"var": "x"}, Value("x", "missing", ""), reference["x"], "", "en") == []


# ------------------------------------------------------------------ value_picture


def test_value_picture_small_diff(tmp_path: Path) -> None:
    learner = snap(tmp_path, {"x": torch.tensor([[1.0, 2.0], [3.0, 5.0]])})
    reference = snap(tmp_path, {"x": torch.tensor([[1.0, 2.0], [3.0, 4.0]])})
    picture = value_picture(learner["x"], reference["x"], None, None)
    assert picture == {
        "kind": "diff",
        "name": "x",
        "expected": [[1.0, 2.0], [3.0, 4.0]],
        "got": [[1.0, 2.0], [3.0, 5.0]],
        "mismatch": [[False, False], [False, True]],
    }
    json.dumps(picture)


def test_value_picture_big_summary(tmp_path: Path) -> None:
    want = torch.zeros(10, 10)
    got = want.clone()
    got[2, 7], got[5, 5] = 0.5, 0.1
    learner = snap(tmp_path, {"w": got})
    reference = snap(tmp_path, {"w": want})
    picture = value_picture(learner["w"], reference["w"], None, None)
    assert picture is not None
    assert picture["kind"] == "summary" and picture["count"] == 2 and picture["total"] == 100
    assert picture["at"] == [2, 7] and picture["got_at"] == 0.5 and picture["expected_at"] == 0.0
    assert picture["max_diff"] == pytest.approx(0.5)


def test_value_picture_none_when_equal_or_shapes_differ(tmp_path: Path) -> None:
    values = snap(tmp_path, {"a": torch.ones(3), "b": torch.ones(3) + 1e-7, "c": torch.ones(4)})
    assert value_picture(values["a"], values["b"], None, None) is None
    assert value_picture(values["a"], values["c"], None, None) is None
    assert value_picture(values["a"], values["b"], 0.0, 0.0) is not None


def test_value_picture_is_json_with_nan_and_ints(tmp_path: Path) -> None:
    values = snap(
        tmp_path,
        {
            "a": torch.tensor([1.0, float("nan")]),
            "b": torch.tensor([1.0, 2.0]),
            "i": torch.tensor([1, 2]),
            "j": torch.tensor([1, 3]),
        },
    )
    picture = value_picture(values["a"], values["b"], None, None)
    assert picture is not None and picture["got"] == [1.0, "nan"]
    assert json.loads(json.dumps(picture, allow_nan=False)) == picture
    ints = value_picture(values["j"], values["i"], None, None)
    assert ints is not None and ints["mismatch"] == [False, True] and ints["got"] == [1, 3]


def test_grad_detectors_stay_quiet_when_the_step_is_not_about_gradients(tmp_path: Path) -> None:
    learner = snap(tmp_path, run("y = torch.ones(2) * 3"))
    found = detect(
        {"var": "y", "values": [2.0, 2.0], "failed": ["y.values"]},
        learner["y"],
        None,
        "y = torch.ones(2) * 3",
        "en",
        context=learner,
    )
    assert found == []


def test_requires_grad_missing_on_a_computed_result_points_at_the_input(tmp_path: Path) -> None:
    setup = "x = torch.tensor([2.0])"
    wrong, right = "y = x * 3", "x.requires_grad_()\ny = x * 3"
    learner = snap(tmp_path, run(wrong, setup))
    reference = snap(tmp_path, run(right, setup))
    found = detect({"var": "y"}, learner["y"], reference["y"], wrong, "en", context=learner)
    assert [f.id for f in found] == ["grad-missing-requires-grad"]
    assert "input it is computed from" in found[0].message


def test_a_tensor_built_with_a_size_one_dim_too_many(tmp_path: Path) -> None:
    solution = "s = torch.tensor(3.5)"
    assert diagnose(tmp_path, "s", "s = torch.tensor([3.5])", solution) == ["size-one-built"]
    assert diagnose(tmp_path, "s", solution, solution) == []
    zh = diagnose(tmp_path, "z", "z = torch.zeros(1, 3)", "z = torch.zeros(3)", lang="zh")
    assert zh == ["size-one-built"]


def test_missing_size_one_dim_is_an_unsqueeze_mistake(tmp_path: Path) -> None:
    setup = "v = torch.tensor([1., 2., 3.])"
    learner = snap(tmp_path, run("y = v * 1", setup))
    reference = snap(tmp_path, run("y = v.unsqueeze(0)", setup))
    found = detect({"var": "y"}, learner["y"], reference["y"], "y = v * 1", "en")
    assert [f.id for f in found] == ["unsqueeze-dim"]
    assert "a size-1 dimension is missing" in found[0].message


def test_backward_missing(tmp_path: Path) -> None:
    setup = "x = torch.tensor(2.0, requires_grad=True)"
    expect = {"props": ["grad"]}
    ids = diagnose(tmp_path, "x", "y = x ** 2", "y = x ** 2\ny.backward()", setup, expect)
    assert ids == ["backward-missing"]
    assert (
        diagnose(
            tmp_path, "x", "y = x ** 2\ny.backward()", "y = x ** 2\ny.backward()", setup, expect
        )
        == []
    )


def test_copy_not_shared_explains_rebinding(tmp_path: Path) -> None:
    setup = "x = torch.ones(3)\nsame = x"
    expect = {"shares_memory_with": "same"}
    learner = snap(tmp_path, run("x = x * 2", setup))
    reference = snap(tmp_path, run("x.mul_(2)", setup))
    found = detect(
        {"var": "x", **expect}, learner["x"], reference["x"], "x = x * 2", "en", context=learner
    )
    assert [f.id for f in found] == ["copy-not-shared"] and "`x.mul_(2)`" in found[0].message
    assert diagnose(tmp_path, "x", "x.mul_(2)", "x.mul_(2)", setup, expect) == []


def test_conversion_named_as_the_copy(tmp_path: Path) -> None:
    setup = "a = np.arange(3.0)"
    code = "t = torch.from_numpy(a).float()"
    learner = snap(tmp_path, run(code, setup))
    found = detect(
        {"var": "t", "shares_memory_with": "a"}, learner["t"], None, code, "en", context=learner
    )
    assert [f.id for f in found] == ["copy-not-shared"] and "(`.float()` makes a copy)" in found[
        0
    ].message


def test_mul_vs_matmul_when_star_raised_and_nothing_was_assigned(tmp_path: Path) -> None:
    setup = "X = torch.ones(4, 3)\nW = torch.ones(3, 2)"
    learner = snap(tmp_path, run("", setup), ["X", "W", "Y"])
    found = detect(
        {"var": "Y"}, learner["Y"], None, "Y = X * W", "en", context=learner, solution="Y = X @ W"
    )
    assert [f.id for f in found] == ["mul-vs-matmul"] and "which gave" not in found[0].message


def test_dtype_detectors_leave_a_wrong_shape_alone(tmp_path: Path) -> None:
    ids = diagnose(
        tmp_path, "x", "x = torch.tensor([8, 3, 32, 32])", "x = torch.zeros(8, 3, 32, 32)"
    )
    assert ids == []
    learner = snap(tmp_path, {"n": 3})
    reference = snap(tmp_path, {"n": 3.5})
    assert [f.id for f in detect({"var": "n"}, learner["n"], reference["n"], "", "en")] == [
        "int-not-float"
    ]


# ------------------------------------------------------------------ feedback rules and errors


def test_failed_check_rules_stay_quiet_when_the_run_raised(tmp_path: Path) -> None:
    """Lesson 8's "no-backward" (``failed = ["x.grad"]``) is not the mistake when backward
    raised."""
    from tutor.judge.checks import run_checks

    setup = "x = torch.tensor(2.0, requires_grad=True)"
    reference = snap(tmp_path, run("y = x**2 + 3*x + 1\ny.backward()", setup))
    learner = snap(tmp_path, run("x = torch.tensor(2.0)\ny = x**2 + 3*x + 1", setup))
    spec = {
        "check": ["x", "y"],
        "feedback": [
            {"id": "no-backward", "message": {"en": "call backward"}, "failed": ["x.grad"]},
            {
                "id": "lost-requires-grad",
                "message": {"en": "new x"},
                "failed": ["x.grad"],
                "error": "RuntimeError",
                "error_match": "does not require grad",
            },
            {"id": "stopped", "message": {"en": "it raised"}, "failed": ["error"]},
        ],
    }
    raised = {
        "outcome": "error",
        "output": "",
        "error": {
            "type": "RuntimeError",
            "message": "element 0 of tensors does not require grad and does not have a grad_fn",
        },
    }
    ids = [f.id for f in run_checks(spec, learner, reference, learner_run=raised).feedback]
    assert "no-backward" not in ids
    assert "lost-requires-grad" in ids and "stopped" in ids
    # without the error, the same failed check is the mistake the rule names
    quiet = {"outcome": "ok", "output": ""}
    ids = [f.id for f in run_checks(spec, learner, reference, learner_run=quiet).feedback]
    assert "no-backward" in ids and "lost-requires-grad" not in ids and "stopped" not in ids


# ------------------------------------------------------------------ off-topic: no diagnosis
# Each detector needs evidence from both sides: the reference (or the step) must be about what it
# names, and the learner's value must show the mistake.


def test_grad_non_leaf_needs_a_reference_about_gradients(tmp_path: Path) -> None:
    setup = "x = torch.tensor([1.0, 2.0], requires_grad=True)"
    wrong = "y = x * 3\ny.sum().backward()\ng = y.grad"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns when a non-leaf's .grad is read
        # the step wants plain numbers, not a gradient: the reference has none
        assert diagnose(tmp_path, "g", wrong, "g = torch.full((2,), 3.0)", setup) == []
        # the run raised before `g` was bound: no `.grad` was ever seen to be None
        raised = snap(tmp_path, run("y = x * 3\ny.sum().backward()", setup), ["x", "y", "g"])
        reference = snap(tmp_path, run("y = x * 3\ny.sum().backward()\ng = x.grad", setup))
        assert (
            detect(
                {"var": "g"},
                raised["g"],
                reference["g"],
                wrong,
                "en",
                context=raised,
                ref_context=reference,
            )
            == []
        )


def test_grad_detectors_need_a_failing_check_about_gradients(tmp_path: Path) -> None:
    """An author who checks only the values gets no lecture on gradients."""
    setup = "x = torch.tensor([2.0, 3.0], requires_grad=True)"
    once = "y = (x ** 2).sum()\ny.backward()"
    values_only = {"props": ["values"], "failed": ["x.values"]}
    twice = once + "\n" + once  # x.grad is 2 x the reference's, but only x's values are checked
    learner = snap(tmp_path, run(twice + "\nwith torch.no_grad():\n    x.add_(1)", setup))
    reference = snap(tmp_path, run(once, setup))
    assert (
        detect(
            {"var": "x", **values_only},
            learner["x"],
            reference["x"],
            "",
            "en",
            context=learner,
            ref_context=reference,
        )
        == []
    )
    # requires_grad missing on a result whose values are what the step checks
    learner = snap(tmp_path, run("y = torch.tensor([6.0, 7.0])", setup))
    reference = snap(tmp_path, run("y = x * 3", setup))
    assert (
        detect(
            {"var": "y", "props": ["values"], "failed": ["y.values"]},
            learner["y"],
            reference["y"],
            "y = torch.tensor([6.0, 7.0])",
            "en",
            context=learner,
            ref_context=reference,
        )
        == []
    )
    # backward not called, but the step asked for the values of a leaf, not for its gradient
    learner = snap(tmp_path, run("x.data.mul_(2)", setup))
    reference = snap(tmp_path, run(once + "\nx.data.mul_(3)", setup))
    assert (
        detect(
            {"var": "x", **values_only},
            learner["x"],
            reference["x"],
            "x.data.mul_(2)",
            "en",
            context=learner,
            ref_context=reference,
        )
        == []
    )


def test_arange_end_and_linspace_count_need_those_calls(tmp_path: Path) -> None:
    setup = "t = torch.arange(0, 12, 2)"
    # a slice one short is not an `arange` mistake
    assert diagnose(tmp_path, "y", "y = t[:3]", "y = t[:4]", setup) == []
    # nor is a different `arange` step a `linspace` count
    assert diagnose(tmp_path, "y", "y = torch.arange(0, 11, 5)", "y = torch.arange(0, 11, 2)") == []


def test_products_need_two_tensors_on_each_side(tmp_path: Path) -> None:
    setup = "x = torch.ones(2, 3)\nw = torch.ones(3, 2)"
    # `* 2` scales: it is not the product that should have been `@`
    assert (
        diagnose(tmp_path, "y", "y = x.sum() * 2", "y = (x @ w) * 2", setup, pass_solution=True)
        == []
    )
    # the solution's `*` scales too: it wants `@` and more, not `*` instead of `@`
    ids = diagnose(
        tmp_path, "y", "y = x @ w", "y = (x @ w) * 2", setup, with_context=False, pass_solution=True
    )
    assert "matmul-vs-mul" not in ids


def test_broadcast_bigger_needs_two_operands_that_grew(tmp_path: Path) -> None:
    setup = "x = torch.ones(3, 3)"
    # `x + 1` stretched nothing: the sum was forgotten
    assert diagnose(tmp_path, "c", "c = x + 1", "c = x.sum(0)", setup) == []


def test_sharing_advice_names_numpy_only_where_numpy_is_part_of_the_step(tmp_path: Path) -> None:
    """C12 of the newcomer walk: a lesson with no NumPy was told to use `torch.from_numpy`."""
    setup = "x = torch.arange(12)"
    code = "grid = x.reshape(3, 4).clone()"
    learner = snap(tmp_path, run(code, setup))
    expect = {"var": "grid", "shares_memory_with": "x"}
    found = detect(expect, learner["grid"], None, code, "en", context=learner)
    assert [f.id for f in found] == ["copy-not-shared"]
    assert "from_numpy" not in found[0].message and "`x.view(...)`" in found[0].message
    assert found[0].about == ("grid",)
    zh = detect(expect, learner["grid"], None, code, "zh", context=learner)
    assert "from_numpy" not in zh[0].message and "`x` 的视图" in zh[0].message
    arrays = "a = np.arange(3.0)"
    copied = "t = torch.tensor(a)"
    learner = snap(tmp_path, run(copied, arrays))
    found = detect(
        {"var": "t", "shares_memory_with": "a"}, learner["t"], None, copied, "en", context=learner
    )
    assert "`torch.from_numpy(array)`" in found[0].message
