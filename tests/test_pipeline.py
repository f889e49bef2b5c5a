"""The shared answer pipeline: quiz and predict answers (pure), code answers in a sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor import pipeline
from tutor.lesson import Expect, FeedbackRule, Lesson, Step, Text, Variant, load_course
from tutor.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def quiz(**kw) -> Step:
    base = dict(id="q", kind="quiz", title=Text("Q", "问"))
    return Step(**{**base, **kw})


CHOICE = quiz(choices=(Text("Data", "数据"), Text("Compute", "算力"), Text("A GUI", "界面")),
              answer=3, feedback=(FeedbackRule("data", Text("data!", "数据！"), answer=("1",)),))


@pytest.mark.parametrize("text", ["3", " 3 ", "c", "C", "a gui", "界面", "(3)"])
def test_choice_answers_by_number_letter_or_text(text):
    assert pipeline.check_quiz(CHOICE, text).passed


def test_wrong_choice_gets_its_feedback_in_the_language():
    verdict = pipeline.check_quiz(CHOICE, "数据", "zh")
    assert not verdict.passed
    assert [(f.id, f.message) for f in verdict.feedback] == [("data", "数据！")]
    assert verdict.first_failure.expected == "3. 界面"
    assert pipeline.check_quiz(CHOICE, "2").feedback == ()


def test_fill_in_and_ordering_quiz():
    fill = quiz(accept=("computing power", "算力"))
    assert pipeline.check_quiz(fill, "  Computing   Power. ").passed
    assert pipeline.check_quiz(fill, "算力").passed
    assert not pipeline.check_quiz(fill, "data").passed
    order = quiz(items=(Text("a"), Text("b"), Text("c")), answer=(3, 1, 2),
                 feedback=(FeedbackRule("rev", Text("reversed"), answer=("2 1 3",)),))
    assert pipeline.check_quiz(order, "3 1 2").passed
    assert pipeline.check_quiz(order, "3, 1, 2").passed
    assert [f.id for f in pipeline.check_quiz(order, "2 1 3").feedback] == ["rev"]


def test_predict_typed_output_ignores_spaces():
    step = Step(id="p", kind="predict", title=Text("P"), code="print(torch.arange(3))",
                accept=("0 1 2",))
    output = "tensor([0, 1, 2])\n"
    assert pipeline.check_predict(step, "tensor([0,1,2])", output).passed
    assert pipeline.check_predict(step, "0 1 2", output).passed
    assert not pipeline.check_predict(step, "tensor([1, 2, 3])", output).passed
    assert not pipeline.check_predict(step, "", "").passed


def test_is_attempt_watches_names_and_errors():
    step = Step(id="s", kind="code", title=Text("S"), check=("x",), solution="x = 1")
    assert pipeline.is_attempt(step, "x = torch.ones(2)")
    assert pipeline.is_attempt(step, "print(x.shape)")
    assert not pipeline.is_attempt(step, "print(torch.__version__)")
    assert pipeline.is_attempt(step, "torch.foo()", "AttributeError")
    watched = Step(id="s", kind="code", title=Text("S"), check=("x",), watch=("y",))
    assert pipeline.is_attempt(watched, "y = 2") and not pipeline.is_attempt(watched, "x = 2")


# ---------------------------------------------------------------- with a sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(device="cpu", timeout=10)
    sandbox.start()
    assert sandbox.wait_ready(120)
    yield sandbox
    sandbox.close()


COUNT = Step(id="count", kind="code", title=Text("Count"), setup="n = 5",
             solution="c = torch.arange(1, n + 1)", check=("c",),
             variants=(Variant(setup="n = 8"),))
LESSON = Lesson(id="t", section=4, title=Text("T"), steps=(COUNT,), path="t.toml")


def test_check_answer_and_variants(sb):
    assert pipeline.check_answer(sb, LESSON, COUNT, "c = torch.arange(1, n + 1)").passed
    hard = pipeline.check_answer(sb, LESSON, COUNT, "c = torch.tensor([1, 2, 3, 4, 5])")
    assert not hard.passed and hard.checks[0].name == "variant"
    wrong = pipeline.check_answer(sb, LESSON, COUNT, "c = torch.arange(1, n)", "zh")
    assert wrong.first_failure.name == "c.shape" and wrong.first_failure.message


def test_setup_failure_is_reported(sb):
    broken = Step(id="b", kind="code", title=Text("B"), setup="1 / 0", solution="x = 1",
                  check=("x",))
    verdict = pipeline.check_answer(sb, LESSON, broken, "x = 1")
    assert verdict.first_failure.name == "setup"
    assert "ZeroDivisionError" in verdict.first_failure.got


def test_reference_is_cached_per_sandbox_step_and_seed(sb):
    first = pipeline.reference(sb, LESSON, COUNT, "n = 5", None)
    assert pipeline.reference(sb, LESSON, COUNT, "n = 5", None) is first
    assert pipeline.reference(sb, LESSON, COUNT, "n = 8", None) is not first


def test_live_judging_keeps_the_namespace_through_variants(sb):
    sb.new_namespace(COUNT.setup, None)
    run = sb.run("c = torch.arange(1, n + 1)\nkeep = 41")
    assert pipeline.judge_live(sb, LESSON, COUNT, "c = torch.arange(1, n + 1)", run).passed
    assert pipeline.check_variants(sb, LESSON, COUNT, "c = torch.arange(1, n + 1)") is None
    assert sb.run("print(keep + 1)").output.strip() == "42"


def test_seeded_step_compares_random_draws(sb):
    lessons, _ = load_course([ROOT / "lessons"])
    lesson = next(l for l in lessons if l.id == "creating-tensors")
    dice = lesson.step("dice")
    assert pipeline.check_answer(sb, lesson, dice, "rolls = torch.randint(1, 7, (10,))").passed
    # a set-up that draws random numbers: solution and answer stay on the same stream
    step = Step(id="r", kind="code", title=Text("R"), setup="a = torch.rand(2)", seed=3,
                solution="b = torch.rand(2)", check=("a", "b"))
    assert pipeline.check_answer(sb, LESSON, step, "b = torch.rand(2)").passed


def test_predict_runs_the_code(sb):
    lessons, _ = load_course([ROOT / "lessons"])
    step = next(l for l in lessons if l.id == "autograd-more").step("detach-shares")
    assert "tensor([2., 3., 4.]" in pipeline.run_predict(sb, step).output
    typed = Step(id="p", kind="predict", title=Text("P"), code="print(torch.arange(3))")
    assert pipeline.check_text_answer(sb, typed, "tensor([0, 1, 2])").passed
    assert not pipeline.check_text_answer(sb, typed, "tensor([1, 2, 3])").passed


def test_step_whose_solution_raises_on_purpose(sb):
    step = Step(id="boom", kind="code", title=Text("B"),
                setup="x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x ** 2",
                solution="y.backward()",
                expects=(Expect(raises="RuntimeError", match="only for scalar outputs"),))
    assert pipeline.check_answer(sb, LESSON, step, "y.backward()").passed
    assert not pipeline.check_answer(sb, LESSON, step, "y.sum().backward()").passed


def test_cpu_step_pins_the_cpu(sb):
    step = Step(id="np", kind="code", title=Text("N"), device="cpu", setup="a = 1",
                solution="t = torch.ones(2)\nn = t.numpy()", check=("n",))
    assert pipeline.effective_setup(step).endswith("a = 1")
    assert "set_default_device('cpu')" in pipeline.effective_setup(step)
    assert pipeline.effective_setup(COUNT) == "n = 5"
    assert pipeline.check_answer(sb, LESSON, step, "t = torch.ones(2)\nn = t.numpy()").passed
