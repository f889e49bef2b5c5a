"""The tutor says only what is true: feedback quotes only code the learner wrote, detectors speak
only when the values and the code show their premise, and the course's facts hold in torch.

Each test here is a sentence the tutor once said that was false (issue 12, section 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from tutor import pipeline
from tutor.course import Lesson, Step, Text, load_course
from tutor.course.files import course_dirs
from tutor.i18n import tomllib
from tutor.judge import checks
from tutor.render import errors
from tutor.sandbox import Sandbox

LESSONS, _ = load_course(course_dirs())
ROOT_GLOSSARY = next(d for d in map(Path, course_dirs()) if (d / "glossary.toml").is_file())


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(device="cpu", timeout=30)
    sandbox.start()
    assert sandbox.wait_ready(180)
    yield sandbox
    sandbox.close()


def _step(lesson_id: str, step_id: str) -> tuple[Lesson, Step]:
    lesson = next(lesson for lesson in LESSONS if lesson.id == lesson_id)
    step = lesson.step(step_id)
    assert step is not None
    return lesson, step


def _said(sb: Sandbox, where: str, code: str, lang: str = "en") -> tuple[Any, str]:
    """The verdict on ``code`` at a course step, and every message it carries, joined."""
    lesson, step = _step(*where.split("."))
    # as check shows it: the pipeline's verdict with PyTorch's error explained
    verdict = errors.explain_verdict(
        pipeline.check_answer(sb, lesson, step, code, lang), code, lang
    )
    words = [c.message for c in verdict.checks] + [f.message for f in verdict.feedback]
    return verdict, "\n".join(words)


def _ids(verdict: Any) -> set[str]:
    return {f.id for f in verdict.feedback}


# ---------------------------------------------------------------- quoting code


def test_rebinding_feedback_quotes_no_code_the_learner_did_not_write(sb: Sandbox) -> None:
    verdict, said = _said(sb, "operations.in-place", "x = x + 1")
    assert not verdict.passed and "new-tensor" in _ids(verdict)
    assert "x * 2" not in said


def test_diag_with_three_numbers_is_not_told_about_a_list(sb: Sandbox) -> None:
    verdict, said = _said(
        sb, "creating-tensors.eye-diag", "I = torch.eye(3)\nD = torch.diag(1, 2, 3)"
    )
    assert "list" not in said.lower()
    assert "diag-one-tensor" in _ids(verdict)
    verdict, said = _said(
        sb, "creating-tensors.eye-diag", "I = torch.eye(3)\nD = torch.diag([1, 2, 3])"
    )
    assert "diag-of-list" in _ids(verdict)


def test_an_in_place_error_without_zero_is_not_blamed_on_zero(sb: Sandbox) -> None:
    verdict, said = _said(sb, "autograd-more.zero-grad", "x += 1\ny = 3 * x\ny.backward()")
    assert "zeroed-x" not in _ids(verdict) and "x.zero_()" not in said
    assert "inplace-leaf" in _ids(verdict)  # PyTorch's error is still explained


def test_a_step_without_backward_hears_nothing_about_backward(sb: Sandbox) -> None:
    verdict, said = _said(sb, "autograd-more.no-grad", "pred = (w * x).sum()")
    assert not verdict.passed and "recorded" in _ids(verdict)
    assert "backward()" not in said


def test_backward_that_was_called_is_not_asked_for(sb: Sandbox) -> None:
    code = "x = torch.tensor(2.0)\ny = x**2 + 3*x + 1\ny.requires_grad_()\ny.backward()"
    verdict, said = _said(sb, "autograd.first-gradient", code)
    assert not verdict.passed
    assert "no-backward" not in _ids(verdict) and "only after" not in said
    assert "[2.0]" not in said  # an example of the wrong shape would fail the step itself


def test_an_empty_gradient_means_none_not_any_wrong_value(sb: Sandbox) -> None:
    """B1: after a second backward() the gradient is 14, not empty."""
    code = "y = x**2 + 3*x + 1\ny.backward(retain_graph=True)\ny.backward()"
    verdict, said = _said(sb, "autograd.first-gradient", code)
    assert not verdict.passed and "no-backward" not in _ids(verdict)
    assert "still empty" not in said
    assert "grad-accumulated" in _ids(verdict)  # two backward() calls: that premise holds
    verdict, said = _said(sb, "autograd.first-gradient", "y = x**2 + 3*x + 1")
    assert "no-backward" in _ids(verdict)


def test_missing_backward_names_the_steps_result_not_an_input(sb: Sandbox) -> None:
    verdict, said = _said(sb, "autograd.two-inputs", "z = x * y\nloss = z.sum()")
    assert "backward-missing" in _ids(verdict)
    assert "y.backward()" not in said and "loss.backward()" in said


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_missing_size_one_dim_is_not_placed_at_dim_dash(sb: Sandbox, lang: str) -> None:
    verdict, said = _said(sb, "shapes.column", "col = v.T", lang)
    assert "unsqueeze-dim" in _ids(verdict)
    assert "dim -" not in said and "第 - 维" not in said


# ---------------------------------------------------------------- detectors' premises

LOSS = Step(
    id="loss",
    kind="code",
    title=Text("Loss"),
    setup=(
        "w = torch.tensor(1.0, requires_grad=True)\n"
        "x = torch.tensor([1.0, 2.0, 3.0])\n"
        "y = torch.tensor([2.0, 4.0, 6.0])"
    ),
    solution="loss = ((w * x - y) ** 2).mean()\nloss.backward()",
    check=("w", "loss"),
)
LOSS_LESSON = Lesson(id="l", section=8, title=Text("L"), steps=(LOSS,), path="l.toml")


def test_a_sum_for_a_mean_is_not_called_three_backward_calls(sb: Sandbox) -> None:
    code = "loss = ((w * x - y) ** 2).sum()\nloss.backward()"
    verdict = pipeline.check_answer(sb, LOSS_LESSON, LOSS, code)
    assert not verdict.passed
    said = " ".join(f.message for f in verdict.feedback)
    assert "grad-accumulated" not in _ids(verdict) and "3 times" not in said


def test_detach_is_not_told_to_create_the_input_with_requires_grad(sb: Sandbox) -> None:
    verdict, said = _said(sb, "autograd.retain", "y = x.detach() * 3\nz = y * y")
    assert not verdict.passed
    assert "requires_grad=True" not in said  # x has it: detach() cut the graph
    assert "forgot-retain" not in _ids(verdict)  # y is no non-leaf waiting for retain_grad()
    assert "detach" in said


# ---------------------------------------------------------------- facts checked against torch


def _glossary() -> dict[str, Any]:
    data = tomllib.loads((ROOT_GLOSSARY / "glossary.toml").read_text(encoding="utf-8"))
    return {term["en"]: term for term in data["terms"]}


def test_a_result_that_does_not_require_grad_is_a_leaf_in_torch_and_in_the_course() -> None:
    assert (torch.zeros(3) * 2).is_leaf
    assert not (torch.zeros(3, requires_grad=True) * 2).is_leaf
    leaf = _glossary()["leaf node"]["text"]
    _, quiz = _step("autograd", "leaf")
    for text in (leaf["en"], quiz.text.en):
        assert "does not require grad" in text, text
    for text in (leaf["zh"], quiz.text.zh):
        assert "不需要梯度" in text, text


def test_the_grad_fn_repr_in_the_lesson_is_what_torch_prints() -> None:
    y = torch.tensor(2.0, requires_grad=True) * 3
    shown = re.sub(r"0x[0-9a-f]+", "0x…", repr(y.grad_fn))
    _, step = _step("autograd", "graph")
    assert shown == "<MulBackward0 object at 0x…>"
    assert shown in step.text.en and shown in step.text.zh


def test_a_passing_type_row_shows_the_type_it_was_checked_as(sb: Sandbox) -> None:
    verdict, _ = _said(sb, "setup.version", "v = torch.__version__")
    assert verdict.passed
    row = next(c for c in verdict.checks if c.name == "v.type")
    assert row.got.startswith(row.expected), row  # not "✓ v.type  str  TorchVersion"


# ---------------------------------------------------------------- CUDA on every torch build

NO_GPU_MESSAGES = [
    ("AssertionError", "Torch not compiled with CUDA enabled"),
    (
        "RuntimeError",
        "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and "
        "installed a driver from http://www.nvidia.com/Download/index.aspx",
    ),
    ("RuntimeError", "No CUDA GPUs are available"),
    ("RuntimeError", "CUDA driver initialization failed, you might not have a CUDA gpu."),
]


@pytest.mark.parametrize(("etype", "message"), NO_GPU_MESSAGES)
def test_moving_to_cuda_without_a_gpu_is_explained_on_every_build(etype: str, message: str):
    _, step = _step("attributes-devices", "pick-device")
    run = {"outcome": "error", "output": "", "error": {"type": etype, "message": message}}
    verdict = checks.run_checks(step.spec(), {}, {}, learner_run=run, code='y = x.to("cuda")')
    assert "no-cuda" in _ids(verdict), (message, _ids(verdict))


def test_the_no_cuda_rule_has_a_trap() -> None:
    _, step = _step("attributes-devices", "pick-device")
    assert any(t.feedback == "no-cuda" for t in step.traps)
