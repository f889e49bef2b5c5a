"""Friendly explanations, checked against messages produced by the installed torch.

If a torch upgrade rewords a message, the live cases here fail loudly; the fixed
strings pin the wording of other versions (and of CUDA, absent on CI).
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tutor.render.errors import IDS, Explanation, explain


def raised(fn: Callable[[], Any]) -> tuple[str, str]:
    """The (type name, message) of the exception ``fn`` raises."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any torch error is what we want
        return type(exc).__name__, str(exc)
    raise AssertionError("expected an error")


def _input_at_eof() -> None:
    # What code at the prompt meets: a standard input with nothing to read.
    saved = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        input()
    finally:
        sys.stdin = saved


def _backward_twice() -> None:
    x = torch.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


# id -> (code that fails, words the English text must contain, words the Chinese text must contain)
def _grad_set_to_a_number() -> None:
    x = torch.ones(2, requires_grad=True)
    x.grad = 0  # type: ignore[assignment]


LIVE: dict[str, tuple[Callable[[], Any], list[str], list[str]]] = {
    "float-targets": (
        lambda: torch.nn.CrossEntropyLoss()(torch.ones(3, 4), torch.tensor([1.0, 0.0, 2.0])),
        ["Float", "int64", ".long()"],
        ["Float", "int64", ".long()"],
    ),
    "one-hot-targets": (
        lambda: torch.nn.CrossEntropyLoss()(
            torch.ones(3, 4), torch.nn.functional.one_hot(torch.tensor([1, 0, 2]), 4)
        ),
        ["one-hot", "(N,)", "argmax(dim=1)"],
        ["one-hot", "(N,)", "argmax(dim=1)"],
    ),
    "input-eof": (_input_at_eof, ["input()", "run FILE"], ["input()", "run FILE"]),
    # C16 of the newcomer walk: `np` with no NumPy imported, and an int put in `.grad`
    "missing-import": (
        lambda: eval("np.array([1])", {}),
        ["NumPy", "import numpy as np"],
        ["NumPy", "import numpy as np", "惯用简称"],
    ),
    "grad-assign-type": (
        _grad_set_to_a_number,
        ["`int`", "x.grad = None", "zero_()"],
        ["`int`", "只能放张量", "zero_()"],
    ),
    "matmul-inner-size": (
        lambda: torch.ones(2, 3) @ torch.ones(2, 4),
        ["(2, 3)", "(2, 4)", "3 ≠ 2"],
        ["(2, 3)", "(2, 4)", "列数"],
    ),
    "broadcast-mismatch": (
        lambda: torch.ones(3, 2) + torch.ones(3),
        ["size 2", "other 3", "dimension 1"],
        ["第 1 维", "大小为 2"],
    ),
    "view-non-contiguous": (lambda: torch.ones(2, 3).t().view(6), ["reshape"], ["reshape"]),
    "view-numel": (lambda: torch.ones(2, 3).view(4), ["(4,)", "6"], ["(4,)", "6"]),
    "item-many": (lambda: torch.ones(3).item(), ["3 elements"], ["3 个元素"]),
    "requires-grad-int": (lambda: torch.tensor([1, 2], requires_grad=True), ["2.0"], ["浮点"]),
    "numpy-requires-grad": (
        lambda: torch.ones(2, requires_grad=True).numpy(),
        ["detach()"],
        ["detach()"],
    ),
    # A meta tensor takes the same path as a GPU tensor here (no GPU on CI).
    "numpy-gpu": (lambda: torch.ones(2, device="meta").numpy(), ["`meta`", "cpu()"], ["`meta`"]),
    "backward-non-scalar": (
        lambda: (torch.ones(3, requires_grad=True) * 2).backward(),
        ["sum()"],
        ["标量"],
    ),
    "backward-twice": (_backward_twice, ["retain_graph=True"], ["retain_graph=True"]),
    "inplace-leaf": (lambda: torch.ones(3, requires_grad=True).add_(1), ["no_grad"], ["no_grad"]),
    "device-mismatch": (
        lambda: torch.ones(2, device="meta") + torch.ones(2),
        ["`cpu`", "`meta`"],
        ["`cpu`", "`meta`"],
    ),
    "dim-out-of-range": (
        lambda: torch.ones(2, 3).sum(dim=2),
        ["dimension 2", "-2 and 1"],
        ["第 2 维", "-2 到 1"],
    ),
    "index-out-of-range": (
        lambda: torch.ones(2, 3)[0, 7],
        ["Index 7", "size 3", "0 to 2"],
        ["下标 7", "0 到 2"],
    ),
    "mean-int": (lambda: torch.tensor([1, 2, 3]).mean(), ["float()", "Long"], ["float()"]),
    "backward-no-grad": (
        lambda: torch.ones(3).sum().backward(),
        ["requires_grad=True"],
        ["requires_grad=True"],
    ),
    "arg-not-tensor": (
        lambda: torch.diag([1, 2, 3]),
        ["`diag()`", "`input`", "list"],
        ["`diag()`", "list"],
    ),
    "inplace-dtype": (lambda: torch.tensor([1, 2]).div_(3), ["Float", "Long"], ["Float", "Long"]),
}

FIXED: list[tuple[str, str, str]] = [
    (
        "matmul-inner-size",
        "RuntimeError",
        "mat1 and mat2 shapes cannot be multiplied (64x10 and 20x5)",
    ),
    (
        "matmul-inner-size",
        "RuntimeError",
        ("Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [5, 2]."),
    ),
    (
        "matmul-inner-size",
        "RuntimeError",
        (
            "inconsistent tensor size, expected tensor [3] and src [4] "
            "to have the same number of elements, but got 3 and 4 elements respectively"
        ),
    ),
    (
        "broadcast-mismatch",
        "RuntimeError",
        "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 0",
    ),
    (
        "broadcast-mismatch",
        "RuntimeError",
        "output with shape [3] doesn't match the broadcast shape [3, 3]",
    ),
    (
        "requires-grad-int",
        "RuntimeError",
        "only Tensors of floating point dtype can require gradients",
    ),
    (
        "numpy-gpu",
        "TypeError",
        (
            "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to "
            "copy the tensor to host memory first."
        ),
    ),
    ("numpy-gpu", "TypeError", "can't convert mps:0 device type tensor to numpy."),
    (
        "device-mismatch",
        "RuntimeError",
        (
            "Expected all tensors to be on the same device, but found at "
            "least two devices, cuda:0 and cpu!"
        ),
    ),
    (
        "device-mismatch",
        "RuntimeError",
        (
            "Expected all tensors to be on the same device, but got mat2 "
            "is on cpu, different from other tensors on cuda:0 (when checking argument in method "
            "wrapper_CUDA_mm)"
        ),
    ),
    (
        "inplace-leaf",
        "RuntimeError",
        "a leaf Variable that requires grad has been used in an in-place operation.",
    ),
    ("index-out-of-range", "IndexError", "index out of range in self"),
    (
        "mean-int",
        "RuntimeError",
        "mean(): input dtype should be either floating point or complex dtypes. Got Long instead.",
    ),
]


def test_every_documented_error_id_has_a_live_case() -> None:
    assert set(IDS) == set(LIVE) | {"linear-in-features"}  # that one needs the code: below


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_layer_given_the_wrong_features_is_explained_as_a_layer(lang: str) -> None:
    layer = torch.nn.Linear(3, 2)
    etype, message = raised(lambda: layer(torch.ones(4, 3).T))
    found = explain(etype, message, lang, code="out = layer(x.T)")
    assert found is not None and found.feedback.id == "linear-in-features"
    assert "3" in found.feedback.message and "in_features" in found.feedback.message
    # The same message from `@` is a matrix product, explained as one; so is the message
    # raised by hand or printed (no layer in sight).
    for code in ("out = x @ w", f"raise RuntimeError({message!r})", "print(len(x))"):
        assert explain(etype, message, lang, code=code).feedback.id == "matmul-inner-size", code


@pytest.mark.parametrize("error_id", sorted(LIVE))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_live_torch_message(error_id: str, lang: str) -> None:
    fn, words_en, words_zh = LIVE[error_id]
    etype, message = raised(fn)
    found = explain(etype, message, lang)
    assert found is not None, message
    assert found.feedback.id == error_id and found.feedback.kind == "error"
    for word in words_zh if lang == "zh" else words_en:
        assert word in found.feedback.message, (word, found.feedback.message)
    if lang == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in found.feedback.message)


@pytest.mark.parametrize(("error_id", "etype", "message"), FIXED)
def test_fixed_messages(error_id: str, etype: str, message: str) -> None:
    for lang in ("en", "zh"):
        found = explain(etype, message, lang)
        assert found is not None and found.feedback.id == error_id


def test_matmul_uses_the_learners_shapes() -> None:
    found = explain("RuntimeError", "mat1 and mat2 shapes cannot be multiplied (64x10 and 20x5)")
    assert found is not None
    assert "(64, 10)" in found.feedback.message and "(20, 5)" in found.feedback.message
    assert "10 ≠ 20" in found.feedback.message


def test_broadcast_comes_with_a_picture() -> None:
    found = explain(*raised(lambda: torch.ones(3, 2) + torch.ones(3)), "en")
    assert isinstance(found, Explanation)
    assert found.picture == {
        "kind": "broadcast",
        "shapes": None,
        "sizes": [2, 3],
        "dim": 1,
        "clash": None,
    }
    inplace = explain(*raised(lambda: torch.ones(3).add_(torch.ones(3, 3))), "en")
    assert inplace is not None and inplace.picture is not None
    assert inplace.picture["shapes"] == [[3], [3, 3]] and inplace.picture["inplace"] is True


def test_unknown_errors_are_left_to_the_plain_traceback() -> None:
    assert explain("ValueError", "something nobody has seen", "en") is None
    assert explain("NameError", "name 'q' is not defined", "en") is None  # only known names
    assert explain(*raised(lambda: np.zeros(2) + np.zeros(3)), "en") is None


def test_errors_module_does_not_import_torch() -> None:
    code = "import sys, tutor.render.errors, tutor.render.pictures; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "False"


def test_broadcast_names_the_operands_when_their_shapes_are_known() -> None:
    x, w = torch.ones(4, 3, 2), torch.ones(3)
    etype, message = raised(lambda: x * w)
    shapes = {"x": [4, 3, 2], "w": [3], "other": [2]}
    found = explain(etype, message, "en", code="y = x * w", shapes=shapes)
    assert found is not None and found.picture is not None
    assert found.picture["shapes"] == [[4, 3, 2], [3]] and found.picture["names"] == ["x", "w"]
    assert found.picture["clash"] == -1
    assert "`x` is (4, 3, 2) and `w` is (3,)" in found.feedback.message
    zh = explain(etype, message, "zh", code="y = x * w", shapes=shapes)
    assert zh is not None and "`x` 是 (4, 3, 2)" in zh.feedback.message
    # shapes that do not clash as the message says are not blamed
    unrelated = explain(etype, message, "en", code="y = x * w", shapes={"x": [5], "w": [5]})
    assert unrelated is not None and unrelated.picture is not None
    assert unrelated.picture["shapes"] is None


@pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")
@pytest.mark.parametrize(
    ("code", "fn", "shapes", "operands"),
    [
        (
            "c = a.T + b",
            lambda: torch.ones(3).T + torch.ones(2),
            {"a": [3], "b": [2]},
            ("a.T", "b"),
        ),
        (
            "z = x.sum(0) * y",
            lambda: torch.ones(3, 4).sum(0) * torch.ones(2, 3),
            {"x": [3, 4], "y": [2, 3]},
            ("x.sum(0)", "y"),
        ),
    ],
)
def test_broadcast_never_names_a_variable_for_a_computed_operand(
    code: str, fn: Callable[[], Any], shapes: dict[str, list[int]], operands: tuple[str, str]
) -> None:
    etype, message = raised(fn)
    left, right = operands
    name = left.split(".")[0]
    en = explain(etype, message, "en", code=code, shapes=shapes)
    assert en is not None and en.picture is not None
    assert f"`{name}` is" not in en.feedback.message
    assert en.picture["shapes"] is None  # the message gives two sizes, not the operands' shapes
    # K4 of the newcomer walk: the diagram's rows are the operands as the words quote them
    assert en.picture["names"] == [left, right]
    a, b = en.picture["sizes"]
    assert f"left operand `{left}` has size {a}" in en.feedback.message
    assert f"right operand `{right}` has size {b}" in en.feedback.message
    zh = explain(etype, message, "zh", code=code, shapes=shapes)
    assert zh is not None and f"`{name}` 是" not in zh.feedback.message
    assert f"左操作数 `{left}` 在结果的第" in zh.feedback.message
    assert f"大小为 {a}，右操作数 `{right}` 为 {b}" in zh.feedback.message


def test_broadcast_quotes_no_operand_when_several_operations_could_have_failed() -> None:
    etype, message = raised(lambda: torch.ones(3, 4).sum(0) * torch.ones(2, 3))
    code = "z = x.sum(0) * y\nw = x.mean(1) + y.T"
    found = explain(etype, message, "en", code=code, shapes={"x": [3, 4], "y": [2, 3]})
    assert found is not None and "operand" not in found.feedback.message


_NUMPY_GRAD = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_fix_names_the_learners_own_tensor(lang: str) -> None:
    """The 06 walk: `arr = w.numpy()` was told to write `t.detach().numpy()`."""
    found = explain("RuntimeError", _NUMPY_GRAD, lang, code="arr = w.numpy()")
    assert found is not None
    assert "`w.detach().numpy()`" in found.feedback.message
    assert "`t." not in found.feedback.message
    gpu = explain(
        "TypeError", "can't convert cuda:0 device type tensor to numpy.", lang, code="a = g.numpy()"
    )
    assert gpu is not None and "`g.cpu().numpy()`" in gpu.feedback.message
    many = "a Tensor with 3 elements cannot be converted to Scalar"
    item = explain("RuntimeError", many, lang, code="v = scores.item()")
    assert item is not None and "`scores[0].item()`" in item.feedback.message
    # Without the code, or when it does not say which tensor, the fix names no one's tensor.
    for code in ("", "a = w.numpy()\nb = g.numpy()"):
        plain = explain("RuntimeError", _NUMPY_GRAD, lang, code=code)
        assert plain is not None and "`tensor.detach().numpy()`" in plain.feedback.message


def test_chinese_explanations_use_the_course_terms() -> None:
    numpy_grad = explain("RuntimeError", _NUMPY_GRAD, "zh", code="arr = w.numpy()")
    assert numpy_grad is not None
    assert "requires_grad，" not in numpy_grad.feedback.message  # the flag is no verb
    assert "先用 `detach()`" in numpy_grad.feedback.message
    leaf = explain(*raised(lambda: torch.ones(3, requires_grad=True).add_(1)), "zh")
    assert leaf is not None and "需要梯度的叶子节点" in leaf.feedback.message
    assert "禁止梯度跟踪" in leaf.feedback.message
    device = explain("RuntimeError", "Expected all tensors to be on the same device", "zh")
    assert device is not None and "而这里的张量在两个不同的设备上。" in device.feedback.message
    pair = explain(*raised(lambda: torch.ones(2, device="meta") + torch.ones(2)), "zh")
    assert pair is not None and "分别在 `cpu` 和 `meta` 上" in pair.feedback.message
