"""The detector registry: every detector registered, documented, worded in every catalog, and
proven by a fixture (a wrong answer it names, a right one it leaves alone); `quiet` turns one
off."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tutor import i18n
from tutor.course import load_lesson
from tutor.course.lesson import DETECTOR_IDS
from tutor.judge import detectors
from tutor.judge.diagnose import detect
from tutor.judge.snapshot import Value, load, take
from tutor.render import errors

_COUNTER = itertools.count()

# id: (name checked, wrong answer, right answer = the solution, set-up, expectation)
_LINE = (
    "from torch import nn\nx = torch.linspace(-1, 1, 100).unsqueeze(1)\ny = 3 * x + 2\n"
    "model = nn.Linear(1, 1)"
)
_TRAIN = """opt = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for epoch in range(200):
    {zero}
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
"""
_DEVICE = (
    "from torch import nn\nmodel = nn.Linear(2, 1)\nx = torch.ones(3, 2)\n"
    "device = torch.device('cpu')"
)

FIXTURES: dict[str, tuple[str, str, str, str, dict[str, Any]]] = {
    "list-not-tensor": ("x", "x = [1.0, 2.0]", "x = torch.tensor([1.0, 2.0])", "", {}),
    "ndarray-not-tensor": ("x", "x = np.array([1.0, 2.0])", "x = torch.tensor([1.0, 2.0])", "", {}),
    "int-not-float": ("x", "x = torch.tensor([1, 2])", "x = torch.tensor([1., 2.])", "", {}),
    "float-not-int": ("x", "x = torch.tensor([1., 2.])", "x = torch.tensor([1, 2])", "", {}),
    "wrong-device": ("x", "x = torch.ones(2)", "x = torch.ones(2)", "", {"device": "cuda"}),
    "copy-not-shared": (
        "t",
        "t = torch.tensor(a)",
        "t = torch.from_numpy(a)",
        "a = np.arange(3.0)",
        {"shares_memory_with": "a"},
    ),
    "shared-not-copy": (
        "u",
        "u = t.detach()",
        "u = t.clone()",
        "t = torch.ones(3)",
        {"independent_of": "t"},
    ),
    "grad-accumulated": (
        "x",
        "y = (x ** 2).sum()\ny.backward()\ny = (x ** 2).sum()\ny.backward()",
        "y = (x ** 2).sum()\ny.backward()",
        "x = torch.tensor([2.0, 3.0], requires_grad=True)",
        {"props": ["grad"]},
    ),
    "grad-non-leaf": (
        "g",
        "y = x * 3\ny.sum().backward()\ng = y.grad",
        "y = x * 3\ny.sum().backward()\ng = x.grad",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)",
        {},
    ),
    "grad-missing-requires-grad": (
        "x",
        "x = torch.tensor([2.0])\ny = x ** 2",
        "x = torch.tensor([2.0], requires_grad=True)\ny = x ** 2\ny.backward()",
        "",
        {"props": ["requires_grad", "grad"]},
    ),
    "backward-missing": (
        "x",
        "y = x ** 2",
        "y = x ** 2\ny.backward()",
        "x = torch.tensor(2.0, requires_grad=True)",
        {"props": ["grad"]},
    ),
    "transposed": (
        "c",
        "c = (a @ b).T",
        "c = a @ b",
        "a = torch.arange(6.).reshape(2, 3)\nb = torch.arange(12.).reshape(3, 4)",
        {},
    ),
    "mul-vs-matmul": (
        "c",
        "c = a * b",
        "c = a @ b",
        "a = torch.tensor([[1., 2.], [3., 4.]])\nb = torch.tensor([[5., 6.], [7., 8.]])",
        {},
    ),
    "matmul-vs-mul": (
        "c",
        "c = a @ b",
        "c = a * b",
        "a = torch.tensor([[1., 2.], [3., 4.]])\nb = torch.tensor([[5., 6.], [7., 8.]])",
        {},
    ),
    "arange-end": ("x", "x = torch.arange(0, 10, 2)", "x = torch.arange(0, 11, 2)", "", {}),
    "linspace-count": ("x", "x = torch.linspace(0, 1, 4)", "x = torch.linspace(0, 1, 5)", "", {}),
    "unsqueeze-dim": (
        "y",
        "y = v.unsqueeze(0)",
        "y = v.unsqueeze(1)",
        "v = torch.tensor([1., 2., 3.])",
        {},
    ),
    "squeeze-dim": ("y", "y = t.squeeze()", "y = t.squeeze(0)", "t = torch.ones(1, 3, 1)", {}),
    "size-one-built": ("s", "s = torch.tensor([3.5])", "s = torch.tensor(3.5)", "", {}),
    "broadcast-bigger": (
        "c",
        "c = a + b",
        "c = a + b.squeeze(1)",
        "a = torch.tensor([1., 2., 3.])\nb = torch.tensor([[10.], [20.], [30.]])",
        {},
    ),
    # part two: training (the wrong answer is a real beginner's; the right one the reference)
    "missing-zero-grad": (
        "model.weight",
        _TRAIN.format(zero=""),
        _TRAIN.format(zero="opt.zero_grad()"),
        _LINE,
        {"near": 3.0, "within": 0.1},
    ),
    "softmax-before-cross-entropy": (
        "loss",
        "loss = nn.functional.cross_entropy(logits.softmax(dim=1), target)",
        "loss = nn.functional.cross_entropy(logits, target)",
        "from torch import nn\nlogits = torch.tensor([[2.0, 0.5, -1.0]])\n"
        "target = torch.tensor([0])",
        {},
    ),
    "lr-diverged": (
        "losses",
        _TRAIN.format(zero="opt.zero_grad()").replace("lr=0.1", "lr=1.5"),
        _TRAIN.format(zero="opt.zero_grad()"),
        _LINE,
        {},
    ),
    "eval-without-no-grad": (
        "pred",
        "model.eval()\npred = model(x)",
        "model.eval()\nwith torch.no_grad():\n    pred = model(x)",
        "from torch import nn\nmodel = nn.Linear(2, 1)\nx = torch.ones(3, 2)",
        {"props": ["requires_grad"]},
    ),
    "eval-missing": (
        "pred",
        "with torch.no_grad():\n    pred = model(x)",
        "model.eval()\nwith torch.no_grad():\n    pred = model(x)",
        "from torch import nn\nmodel = nn.Linear(2, 1)\nx = torch.ones(3, 2)",
        {"failed": ["model.training"]},
    ),
    "linear-in-out-swapped": (
        "layer",
        "layer = nn.Linear(3, 2)",
        "layer = nn.Linear(2, 3)",
        "from torch import nn",
        {"props": ["values"]},
    ),
    "data-model-devices": (
        "out",
        "model = model.to(device)\nout = model(x)",
        "model = model.to(device)\nx = x.to(device)\nout = model(x)",
        _DEVICE,
        {},
    ),
    "to-result-dropped": (
        "out",
        "x.to(device)\nout = model(x)",
        "x = x.to(device)\nout = model(x)",
        _DEVICE,
        {},
    ),
}


# Where the right answer is judged against another expectation: with no GPU here, the right
# answer to a device step is the one on the device the step names, the CPU.
RIGHT_EXPECT: dict[str, dict[str, Any]] = {"wrong-device": {"device": "cpu"}}


def _values(tmp: Path, code: str, setup: str) -> dict[str, Value]:
    namespace: dict[str, Any] = {"torch": torch, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns when a non-leaf's .grad is read
        exec(setup + "\n" + code, namespace)  # noqa: S102 - the fixtures above, our own code
    live = {k: v for k, v in namespace.items() if k not in ("torch", "np", "__builtins__")}
    dest = tmp / f"snap{next(_COUNTER)}"
    dest.mkdir()
    take(live, list(live), str(dest))
    return load(str(dest))


def _ids(
    tmp: Path, id_: str, answer: str, off: frozenset[str] = frozenset(), right: bool = False
) -> list[str]:
    var, _, solution, setup, expect = FIXTURES[id_]
    if right:
        expect = RIGHT_EXPECT.get(id_, expect)
    learner, reference = _values(tmp, answer, setup), _values(tmp, solution, setup)
    found = detect(
        {"var": var, **expect},
        learner.get(var, Value(var, "missing", "")),
        reference.get(var),
        answer,
        "en",
        context=learner,
        ref_context=reference,
        solution=solution,
        off=off,
    )
    return [f.id for f in found]


def test_every_detector_is_registered_once_in_order_with_a_premise() -> None:
    found = detectors.detectors()
    assert len(found) == 24
    assert [d.order for d in found] == sorted(d.order for d in found)
    assert len(set(detectors.ids())) == len(detectors.ids())
    families = {d.family for d in found}
    assert families == {"dtype", "shape", "ops", "gradients", "memory", "devices", "training"}
    for d in found:
        assert d.premise and d.ids and d.id == d.ids[0]


def test_the_lesson_format_knows_every_built_in_id() -> None:
    # `quiet` and trap feedback are validated against this list: it must be the registries'
    assert set(detectors.ids()) | set(errors.IDS) == DETECTOR_IDS


def test_every_detector_speaks_every_catalog_language() -> None:
    keys = {k.split(".")[1] for k in i18n.catalog("en") if k.startswith("detect.")}
    for d in detectors.detectors():
        for id_ in d.ids:
            assert id_ in keys or "size-one" in keys, id_


def test_every_detector_has_a_fixture() -> None:
    assert set(FIXTURES) == set(detectors.ids())


@pytest.mark.parametrize("id_", sorted(FIXTURES))
def test_fixture_wrong_answer_is_named_and_right_answer_is_not(tmp_path: Path, id_: str) -> None:
    _, wrong, right, _, _ = FIXTURES[id_]
    assert id_ in _ids(tmp_path, id_, wrong)
    assert id_ not in _ids(tmp_path, id_, right, right=True)


@pytest.mark.parametrize("id_", ["transposed", "grad-accumulated", "unsqueeze-dim"])
def test_quiet_turns_a_detector_off(tmp_path: Path, id_: str) -> None:
    _, wrong, _, _, _ = FIXTURES[id_]
    assert id_ not in _ids(tmp_path, id_, wrong, off=frozenset({id_}))


def test_quiet_turns_an_error_explanation_off() -> None:
    message = "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"
    assert errors.explain("RuntimeError", message) is not None
    assert errors.explain("RuntimeError", message, off={"matmul-inner-size"}) is None


def _lesson(tmp_path: Path, quiet: str) -> Path:
    path = tmp_path / "quiet.toml"
    path.write_text(
        'id = "quiet"\nsection = 1\ntitle.en = "Q"\ntitle.zh = "Q"\n\n[[steps]]\nid = "a"\n'
        'kind = "code"\ntitle.en = "A"\ntitle.zh = "A"\ntext.en = "t"\ntext.zh = "t"\n'
        f'solution = "x = torch.ones(2)"\ncheck = ["x"]\nquiet = {quiet}\n',
        encoding="utf-8",
    )
    return path


def test_the_loader_reads_quiet_into_the_step_and_its_spec(tmp_path: Path) -> None:
    lesson, problems = load_lesson(_lesson(tmp_path, '["transposed", "view-numel"]'))
    assert [p for p in problems if not p.lint] == [] and lesson is not None
    assert lesson.steps[0].quiet == ("transposed", "view-numel")
    assert lesson.steps[0].spec()["quiet"] == ["transposed", "view-numel"]


def test_an_unknown_quiet_id_is_a_path_line_error_listing_the_known_ones(tmp_path: Path) -> None:
    path = _lesson(tmp_path, '["transposd"]')
    _, problems = load_lesson(path)
    errors_found = [p for p in problems if not p.lint]
    assert len(errors_found) == 1
    text = str(errors_found[0])
    assert text.startswith(f"{path}:15: unknown feedback id `transposd` in `quiet`")
    assert "transposed" in text and "view-numel" in text


def _said(tmp: Path, id_: str, var: str, wrong: str, right: str, setup: str, lang: str) -> str:
    learner, reference = _values(tmp, wrong, setup), _values(tmp, right, setup)
    found = detect(
        {"var": var},
        learner.get(var, Value(var, "missing", "")),
        reference.get(var),
        wrong,
        lang,
        context=learner,
        ref_context=reference,
    )
    return next(f.message for f in found if f.id == id_)


@pytest.mark.parametrize(
    ("id_", "wrong", "right", "setup", "zh", "en"),
    [
        (
            "unsqueeze-dim",
            "y = v.clone()",
            "y = v.unsqueeze(0)",
            "v = torch.ones(3)",
            "你的形状里没有，期望在第 0 维。",
            "yours has none, expected at dim 0.",
        ),
        (
            "unsqueeze-dim",
            "y = v.unsqueeze(1).unsqueeze(2)",
            "y = v.view(1, 3, 1)",
            "v = torch.tensor([1., 2., 3.])",
            "你的在第 1、2 维，期望在第 0、2 维。",
            "yours at dim 1, 2, expected at dim 0, 2.",
        ),
        (
            "list-not-tensor",
            "y = (1.0, 2.0)",
            "y = torch.tensor([1.0, 2.0])",
            "",
            "但它是 Python 元组，不是张量。",
            "but as a Python tuple, not a tensor.",
        ),
        (
            "broadcast-bigger",
            "y = a + b",
            "y = a + b.squeeze(1)",
            "a = torch.tensor([1., 2., 3.])\nb = torch.tensor([[10.], [20.], [30.]])",
            "广播把你的操作数（`a` (3,)、`b` (3, 1)）扩展成了一个网格。",
            "broadcasting stretched your operands (`a` (3,), `b` (3, 1)) into a grid.",
        ),
        (
            "grad-non-leaf",
            "h = x * 3\nh.sum().backward()\ny = h.grad",
            "h = x * 3\nh.sum().backward()\ny = x.grad",
            "x = torch.tensor([1.0, 2.0], requires_grad=True)",
            "创建的叶子节点上：请读取 `x.grad`。",
            "created with `requires_grad=True`: read `x.grad`.",
        ),
    ],
)
def test_a_diagnosis_built_from_phrases_reads_whole(
    tmp_path: Path, id_: str, wrong: str, right: str, setup: str, zh: str, en: str
) -> None:
    """Lists of dims take the language's separator, an aside its brackets, and no phrase
    leaves an English word or a "第 - 维" in the Chinese."""
    assert zh in _said(tmp_path, id_, "y", wrong, right, setup, "zh")
    assert en in _said(tmp_path, id_, "y", wrong, right, setup, "en")
