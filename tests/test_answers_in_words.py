"""Quiz and predict answers as a person types them (issue 12, section 4): case, spaces,
punctuation, plural or singular, "3.10 or newer" for "3.10+", numbers as digits or words in
English and Chinese, a choice's own words, and printed values in an equivalent form."""

from __future__ import annotations

import pytest

from tutor import pipeline
from tutor.course import Step, load_course
from tutor.course.files import course_dirs

LESSONS, _ = load_course(course_dirs())


def _step(where: str) -> Step:
    lesson_id, step_id = where.split(".")
    step = next(lesson for lesson in LESSONS if lesson.id == lesson_id).step(step_id)
    assert step is not None
    return step


RIGHT = [
    ("setup.python-version", "3.10 or newer"),
    ("setup.python-version", "3.10+"),
    ("setup.python-version", "Python 3.10+"),
    ("setup.python-version", "python 3.10 or later"),
    ("setup.python-version", "at least 3.10"),
    ("setup.python-version", "3.10 及以上"),
    ("what-is-ai.industry-layers", "frameworks"),
    ("what-is-ai.industry-layers", "Framework and model"),
    ("what-is-ai.industry-layers", "frameworks & models!"),
    ("what-is-ai.three-verbs", "perceive, learn from data, decide."),
    ("what-is-ai.three-verbs", "PERCEIVE LEARN FROM DATA DECIDE"),
    ("what-is-ai.ingredients", "Compute."),
    ("what-is-ai.ingredients", "computer"),
    ("what-is-ai.ingredients", "  算力。"),
    ("tensors.video-dims", "5"),
    ("tensors.video-dims", "Five"),
    ("tensors.video-dims", "five dimensions"),
    ("tensors.video-dims", "五"),
    ("tensors.video-dims", "5维"),
    ("autograd-more.chain-rule", "18"),
    ("autograd-more.chain-rule", "eighteen"),
    ("autograd-more.chain-rule", "十八"),
    ("autograd-more.chain-rule", "18.00"),
    ("autograd.leaf", "only X"),
    ("autograd.leaf", "x"),
    ("creating-tensors.guess-dtype", "float32"),
    ("creating-tensors.guess-dtype", "Torch.Float32"),
    ("meet-pytorch.numpy-like", "torch.zeros(2,3)"),
    ("setup.env", "/ENV"),
]


@pytest.mark.parametrize(("where", "answer"), RIGHT)
def test_a_right_answer_in_a_persons_words_is_accepted(where: str, answer: str) -> None:
    step = _step(where)
    assert pipeline.check_quiz(step, answer).passed, (where, answer)


WRONG = [
    ("setup.python-version", "3.8 or newer"),
    ("setup.python-version", "3.8+"),
    ("what-is-ai.industry-layers", "hardware"),
    ("tensors.video-dims", "four"),
    ("tensors.video-dims", "四"),
    ("autograd-more.chain-rule", "6"),
    ("autograd.leaf", "y"),
    ("meet-pytorch.numpy-like", "torch.Zeros(2, 3)"),
    ("creating-tensors.guess-dtype", "int64"),
]


@pytest.mark.parametrize(("where", "answer"), WRONG)
def test_a_wrong_answer_in_words_is_still_wrong(where: str, answer: str) -> None:
    assert not pipeline.check_quiz(_step(where), answer).passed, (where, answer)


def test_a_word_two_choices_share_names_neither() -> None:
    step = _step("what-is-ai.cv-nlp")
    verdict = pipeline.check_quiz(step, "AI")
    assert not verdict.passed and "type a choice's number" in verdict.checks[0].message


PRINTED = [
    ("autograd-more.detach-shares", "[2., 3., 4.]", True),
    ("autograd-more.detach-shares", "tensor([2., 3., 4.])", True),
    ("autograd-more.detach-shares", "tensor([2, 3, 4])", True),
    ("autograd-more.detach-shares", "[1, 2, 3]", False),
    ("numpy.from-numpy-shares", "9 1", True),
    ("numpy.numpy-shares", "[100, 2, 3]", True),
]


@pytest.mark.parametrize(("where", "answer", "right"), PRINTED)
def test_a_printed_value_typed_in_an_equivalent_form(where: str, answer: str, right: bool):
    step = _step(where)
    choice = step.choices[step.answer - 1].en.strip("`")
    verdict = pipeline.check_predict(step, answer, choice)
    assert verdict.passed is right, (where, answer)


def test_a_wrong_typed_value_gets_the_steps_feedback_not_none_of_the_choices() -> None:
    step = _step("autograd-more.detach-shares")
    verdict = pipeline.check_predict(step, "[1., 2., 3.]", "tensor([2., 3., 4.])")
    assert not verdict.passed
    assert "type a choice's number" not in verdict.checks[0].message
    assert verdict.feedback  # the rule for the choice it shows
    other = pipeline.check_predict(step, "[7., 8.]", "tensor([2., 3., 4.])")
    assert not other.passed and "type a choice's number" not in other.checks[0].message
