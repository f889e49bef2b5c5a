"""The shared answer pipeline: quiz and predict answers (pure), code answers in a sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tutor import pipeline
from tutor.course import load_course
from tutor.course.lesson import Expect, FeedbackRule, Lesson, Step, Text, Variant
from tutor.render import errors
from tutor.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def quiz(**kw) -> Step:
    base = dict(id="q", kind="quiz", title=Text("Q", "问"))
    return Step(**{**base, **kw})


CHOICE = quiz(
    choices=(Text("Data", "数据"), Text("Compute", "算力"), Text("A GUI", "界面")),
    answer=3,
    feedback=(FeedbackRule("data", Text("data!", "数据！"), answer=("1",)),),
)


@pytest.mark.parametrize("text", ["3", " 3 ", "c", "C", "a gui", "界面", "(3)"])
def test_choice_answers_by_number_letter_or_text(text):
    assert pipeline.check_quiz(CHOICE, text).passed


def test_wrong_choice_gets_its_feedback_in_the_language():
    verdict = pipeline.check_quiz(CHOICE, "数据", "zh")
    assert not verdict.passed
    assert [(f.id, f.message) for f in verdict.feedback] == [("data", "数据！")]
    assert pipeline.check_quiz(CHOICE, "2").feedback == ()


def test_a_wrong_answer_does_not_show_the_right_one():
    for step, wrong, right in (
        (CHOICE, "1", "3"),
        (quiz(accept=("compute", "算力")), "data", "算力"),
        (quiz(items=(Text("a"), Text("b")), answer=(2, 1)), "1 2", "2 1"),
    ):
        for lang in ("en", "zh"):
            shown = pipeline.check_quiz(step, wrong, lang).checks[0].expected
            assert "界面" not in shown and "GUI" not in shown and right not in shown
    assert pipeline.check_quiz(CHOICE, "数据", "zh").checks[0].expected == "（答对后显示）"
    assert pipeline.check_quiz(CHOICE, "3", "zh").checks[0].expected == "3. 界面"


def test_the_accepted_answer_shown_is_in_the_language():
    fill = quiz(accept=("compute", "computing power", "算力"))
    assert pipeline.accepted_answer(fill, "zh") == "算力"
    assert pipeline.accepted_answer(fill, "en") == "compute"
    assert pipeline.accepted_answer(quiz(accept=("18", "18.0")), "zh") == "18"
    # a number before a word in either language; a right answer is shown as typed
    number = quiz(accept=("eighteen", "十八", "18"))
    assert pipeline.accepted_answer(number, "zh") == pipeline.accepted_answer(number, "en") == "18"
    assert pipeline.check_quiz(number, "18", "zh").checks[0].expected == "18"
    assert pipeline.check_quiz(number, "十八", "en").checks[0].expected == "十八"


CODE_CHOICES = quiz(
    choices=(
        Text("`torch.int64`"),
        Text("`torch.float32`"),
        Text("torch.float64"),
        Text("`torch.zeros[2]`"),
        Text("`torch.Zeros(2)`"),
        Text("`torch.zeros(2)`"),
    ),
    answer=2,
)


@pytest.mark.parametrize(
    "text, number",
    [
        ("torch.float32", 2),
        ("`torch.float32`", 2),
        ("`torch.float64`", 3),
        ("``torch.int64``", 1),
        ("torch.zeros(2)", 6),
        ("torch.Zeros(2)", 5),
        ("tensor(2)", None),
        ("", None),
    ],
)
def test_choices_typed_with_or_without_backticks(text, number):
    assert pipeline._choice_number(CODE_CHOICES, text) == number


TITLED = quiz(
    choices=(
        Text("It raises: move it to the CPU first", "报错：必须先移到 CPU"),
        Text("Application areas: problems AI is used on", "应用领域：AI 用来解决的问题"),
        Text("None (and PyTorch warns)", "None（并且 PyTorch 会警告）"),
        Text("Application areas: a second one", "应用领域（另一个）"),
        Text("Slicing `x[:2]`", "切片 `x[:2]`"),
    ),
    answer=1,
)


@pytest.mark.parametrize(
    "text, number",
    [
        ("报错", 1),
        ("it raises", 1),
        ("None", 3),
        ("none", 3),
        ("应用领域", None),
        ("application areas", None),  # two choices share the title
        ("slicing `x[", None),
        ("切片 `x[", None),  # a colon inside code ends no title
    ],
)
def test_a_choice_by_its_title_when_no_other_shares_it(text, number):
    assert pipeline._choice_number(TITLED, text) == number


PREDICT = Step(
    id="p",
    kind="predict",
    title=Text("P"),
    code="print(torch.arange(0, 10, 2))",
    choices=(
        Text("tensor([0, 2, 4, 6, 8])"),
        Text("tensor([ 0,  2,  4,  6,  8, 10])"),
        Text("`torch.int64`, then `torch.float32`", "先 `torch.int64`，再 `torch.float32`"),
        Text("an error: a graph cannot contain an `if`"),
    ),
    answer=1,
    feedback=(FeedbackRule("end", Text("end!"), answer=("2",)),),
)


def test_predict_choices_by_the_output_they_show():
    output = "tensor([0, 2, 4, 6, 8])\n"
    assert pipeline.check_predict(PREDICT, "tensor([0,2,4,6,8])", output).passed
    assert pipeline.check_predict(PREDICT, "`tensor([0, 2, 4, 6, 8])`", output).passed
    wrong = pipeline.check_predict(PREDICT, "tensor([0, 2, 4, 6, 8, 10])", output)
    assert not wrong.passed and [f.id for f in wrong.feedback] == ["end"]
    assert pipeline._choice_number(PREDICT, "torch.int64 torch.float32") == 3
    assert pipeline._choice_number(PREDICT, "if") is None  # prose with code in it shows no output
    # Checked without running the code (``tutor check``), the choice's output still counts.
    assert pipeline.check_quiz(PREDICT, "tensor([0,  2, 4, 6, 8])").passed


def test_the_real_output_counts_as_the_right_choice():
    step = Step(
        id="p",
        kind="predict",
        title=Text("P"),
        code="print(1)\nprint(2)",
        choices=(Text("one, then two"), Text("two, then one")),
        answer=1,
    )
    assert pipeline.check_predict(step, "1\n2", "1\n2\n").passed
    assert not pipeline.check_predict(step, "2 1", "1\n2\n").passed


def test_fill_in_and_ordering_quiz():
    fill = quiz(accept=("computing power", "算力"))
    assert pipeline.check_quiz(fill, "  Computing   Power. ").passed
    assert pipeline.check_quiz(fill, "算力").passed
    assert not pipeline.check_quiz(fill, "data").passed
    order = quiz(
        items=(Text("a"), Text("b"), Text("c")),
        answer=(3, 1, 2),
        feedback=(FeedbackRule("rev", Text("reversed"), answer=("2 1 3",)),),
    )
    assert pipeline.check_quiz(order, "3 1 2").passed
    assert pipeline.check_quiz(order, "3, 1, 2").passed
    assert [f.id for f in pipeline.check_quiz(order, "2 1 3").feedback] == ["rev"]


def test_predict_typed_output_ignores_spaces():
    step = Step(
        id="p", kind="predict", title=Text("P"), code="print(torch.arange(3))", accept=("0 1 2",)
    )
    output = "tensor([0, 1, 2])\n"
    assert pipeline.check_predict(step, "tensor([0,1,2])", output).passed
    assert pipeline.check_predict(step, "0 1 2", output).passed
    assert not pipeline.check_predict(step, "tensor([1, 2, 3])", output).passed
    assert not pipeline.check_predict(step, "", "").passed


def test_an_attempt_makes_or_changes_what_the_step_checks():
    """C4 of the newcomer walk: reading the step's names is exploration, not an answer."""
    step = Step(id="s", kind="code", title=Text("S"), check=("x",), solution="x = x.mul_(2)")
    for code in ("x = torch.ones(2)", "x += 1", "x.add_(1)", "x[0] = 5", "x.grad = None"):
        assert pipeline.is_attempt(step, code), code
    assert pipeline.is_attempt(step, "x.mul(2)")  # the answer's own move, result not kept
    for code in ("print(x.shape)", "x.sum()", "for i in range(2): print(x[i])", "total = 0"):
        assert not pipeline.is_attempt(step, code), code
    # an error in exploration is explained above the prompt, not marked
    assert not pipeline.is_attempt(step, "print(x.foo)", "AttributeError")
    assert pipeline.is_attempt(step, "x = x.foo", "AttributeError")
    watched = Step(id="s", kind="code", title=Text("S"), check=("x",), watch=("y",))
    assert pipeline.is_attempt(watched, "y = 2") and not pipeline.is_attempt(watched, "x = 2")


def test_backward_required_calls_and_printed_output_count_as_attempts():
    grads = Step(
        id="g",
        kind="code",
        title=Text("G"),
        check=("x.grad",),
        solution="y = (x * x).sum()\ny.backward()",
    )
    assert pipeline.is_attempt(grads, "z = (x ** 3).sum(); z.backward()")
    assert pipeline.is_attempt(grads, "(x * 2).sum().backward()")
    assert not pipeline.is_attempt(grads, "print(x.grad)")
    seeded = Step(
        id="m",
        kind="code",
        title=Text("M"),
        check=("r",),
        expects=(Expect(must_call=("torch.manual_seed",)),),
    )
    assert pipeline.is_attempt(seeded, "torch.manual_seed(0)")
    model = Step(id="o", kind="code", title=Text("O"), watch=("model", "opt"))
    assert pipeline.is_attempt(model, "opt.step()") and pipeline.is_attempt(
        model, "opt.zero_grad()"
    )
    assert not pipeline.is_attempt(model, "print(model)")
    printed = Step(
        id="p", kind="code", title=Text("P"), watch=("names",), expects=(Expect(output="[1]"),)
    )
    assert pipeline.is_attempt(printed, "print([1])") and pipeline.is_attempt(printed, "names")


def test_a_wrong_prediction_hides_the_output_until_it_is_revealed():
    step = Step(id="p", kind="predict", title=Text("P"), code="print(1)")
    wrong = pipeline.check_predict(step, "2", "1\n")
    assert wrong.checks[0].expected == "(shown after a second try)"
    shown = pipeline.revealed(wrong)
    assert shown.checks[0].expected == "(printed below)" and not shown.passed
    zh = pipeline.revealed(pipeline.check_predict(step, "2", "1\n", "zh"), "zh")
    assert zh.checks[0].expected == "（见下方输出）"
    right = pipeline.check_predict(step, "1", "1\n")
    assert pipeline.revealed(right) == right


# ---------------------------------------------------------------- with a sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(device="cpu", timeout=10)
    sandbox.start()
    assert sandbox.wait_ready(120)
    yield sandbox
    sandbox.close()


COUNT = Step(
    id="count",
    kind="code",
    title=Text("Count"),
    setup="n = 5",
    solution="c = torch.arange(1, n + 1)",
    check=("c",),
    variants=(Variant(setup="n = 8"),),
)
LESSON = Lesson(id="t", section=4, title=Text("T"), steps=(COUNT,), path="t.toml")


def test_check_answer_and_variants(sb):
    assert pipeline.check_answer(sb, LESSON, COUNT, "c = torch.arange(1, n + 1)").passed
    hard = pipeline.check_answer(sb, LESSON, COUNT, "c = torch.tensor([1, 2, 3, 4, 5])")
    assert not hard.passed and hard.checks[0].name == "variant"
    wrong = pipeline.check_answer(sb, LESSON, COUNT, "c = torch.arange(1, n)", "zh")
    assert wrong.first_failure.name == "c.shape" and wrong.first_failure.message


def test_setup_failure_is_reported(sb):
    broken = Step(
        id="b", kind="code", title=Text("B"), setup="1 / 0", solution="x = 1", check=("x",)
    )
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
    lesson = next(lesson for lesson in lessons if lesson.id == "creating-tensors")
    dice = lesson.step("dice")
    assert pipeline.check_answer(sb, lesson, dice, "rolls = torch.randint(1, 7, (10,))").passed
    # a set-up that draws random numbers: solution and answer stay on the same stream
    step = Step(
        id="r",
        kind="code",
        title=Text("R"),
        setup="a = torch.rand(2)",
        seed=3,
        solution="b = torch.rand(2)",
        check=("a", "b"),
    )
    assert pipeline.check_answer(sb, LESSON, step, "b = torch.rand(2)").passed


def test_predict_runs_the_code(sb):
    lessons, _ = load_course([ROOT / "lessons"])
    step = next(lesson for lesson in lessons if lesson.id == "autograd-more").step("detach-shares")
    assert "tensor([2., 3., 4.]" in pipeline.run_predict(sb, step).output
    typed = Step(id="p", kind="predict", title=Text("P"), code="print(torch.arange(3))")
    assert pipeline.check_text_answer(sb, typed, "tensor([0, 1, 2])").passed
    assert not pipeline.check_text_answer(sb, typed, "tensor([1, 2, 3])").passed


def test_step_whose_solution_raises_on_purpose(sb):
    step = Step(
        id="boom",
        kind="code",
        title=Text("B"),
        setup="x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x ** 2",
        solution="y.backward()",
        expects=(Expect(raises="RuntimeError", match="only for scalar outputs"),),
    )
    assert pipeline.check_answer(sb, LESSON, step, "y.backward()").passed
    assert not pipeline.check_answer(sb, LESSON, step, "y.sum().backward()").passed


def test_cpu_step_pins_the_cpu(sb):
    step = Step(
        id="np",
        kind="code",
        title=Text("N"),
        device="cpu",
        setup="a = 1",
        solution="t = torch.ones(2)\nn = t.numpy()",
        check=("n",),
    )
    assert pipeline.effective_setup(step).endswith("a = 1")
    assert "set_default_device('cpu')" in pipeline.effective_setup(step)
    assert pipeline.effective_setup(COUNT) == "n = 5"
    assert pipeline.check_answer(sb, LESSON, step, "t = torch.ones(2)\nn = t.numpy()").passed


def test_text_that_names_no_choice_is_told_how_to_answer():
    row = pipeline.check_quiz(CHOICE, "the graphics part").checks[0]
    assert not row.passed and "type a choice's number (1 to 3)" in row.message
    assert pipeline.check_quiz(CHOICE, "1").checks[0].message == "That is not the answer."
    assert "1 到 3" in pipeline.check_quiz(CHOICE, "图形", "zh").checks[0].message


def _course_step(lesson_id: str, step_id: str) -> tuple[Any, Any]:
    lessons, _ = load_course([ROOT / "lessons"])
    lesson = next(lesson for lesson in lessons if lesson.id == lesson_id)
    return lesson, lesson.step(step_id)


def test_a_seed_variant_names_the_seed_not_the_set_up(sb):
    lesson, dice = _course_step("creating-tensors", "dice")
    typed = "rolls = torch.tensor([3, 4, 6, 1, 2, 4, 2, 2, 2, 4])"
    lead = pipeline.check_answer(sb, lesson, dice, typed).checks[0]
    assert lead.name == "variant" and lead.expected == "seed 1"
    assert "seed 0" in lead.message and "seed 1" in lead.message
    assert "hard-code" not in lead.message and "torch." not in lead.message


def test_a_variant_whose_shape_makes_the_answer_raise_says_it_ran_on_that_shape(sb):
    lesson, row = _course_step("operations", "row")
    verdict = errors.explain_verdict(
        pipeline.check_answer(sb, lesson, row, "second = x.view(3, 4)[1]")
    )
    lead = verdict.checks[0]
    assert lead.name == "variant"
    assert "`x` of shape (4, 5) (it was (3, 4))" in lead.message and "raised" in lead.message
    assert "view-numel" in [f.id for f in verdict.feedback]  # the error, explained
    zh = pipeline.check_answer(sb, lesson, row, "second = x.view(3, 4)[1]", "zh").checks[0]
    assert "`x` 的形状换成 (4, 5)（原来是 (3, 4)）" in zh.message


def test_a_variant_may_carry_the_lessons_own_words(sb):
    own = Variant(setup="n = 8", message=Text("Count up to `n`, whatever it is.", "数到 `n`。"))
    step = Step(
        id="count2",
        kind="code",
        title=Text("Count"),
        setup="n = 5",
        solution="c = torch.arange(1, n + 1)",
        check=("c",),
        variants=(own,),
    )
    verdict = pipeline.check_answer(sb, LESSON, step, "c = torch.tensor([1, 2, 3, 4, 5])")
    assert verdict.checks[0].message == "Count up to `n`, whatever it is."
    assert (
        pipeline.check_answer(sb, LESSON, step, "c = torch.arange(1, 6)", "zh").checks[0].message
        == "数到 `n`。"
    )


def test_check_explains_a_pytorch_error_as_the_prompt_does(sb):
    lesson, step = _course_step("autograd", "sum-backward")
    # check and the prompt both pass the pipeline's verdict through errors.explain_verdict
    verdict = errors.explain_verdict(pipeline.check_answer(sb, lesson, step, "y.backward()"))
    got = next(c for c in verdict.checks if c.name == "error").got
    box = errors.explain(*got.split(": ", 1), code="y.backward()")
    assert box is not None and box.feedback.id in [f.id for f in verdict.feedback]
