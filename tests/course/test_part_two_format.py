"""The lesson format's part-two keys: several right answers, time limits, bounds, modules,
optimizers, expectation ids; each misuse is an error at its line. And the course data
under the sandbox's confinement."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor import pipeline
from tutor.course import load_lesson

HEAD = """\
id = "p2"
section = 11
title.en = "P2"
title.zh = "P2"
"""

ORDER = (
    HEAD
    + """
[[steps]]
id = "order"
kind = "quiz"
title.en = "Order"
title.zh = "顺序"
items.en = ["a", "b", "c"]
items.zh = ["甲", "乙", "丙"]
answer = [[2, 1, 3], [1, 2, 3]]

[[steps]]
id = "pick"
kind = "quiz"
title.en = "Pick"
title.zh = "选"
choices.en = ["a", "b", "c"]
choices.zh = ["甲", "乙", "丙"]
answer = [1, 3]

[[steps]]
id = "all"
kind = "quiz"
title.en = "All"
title.zh = "全部"
choices.en = ["a", "b", "c"]
choices.zh = ["甲", "乙", "丙"]
answer = [1, 3]
select = "all"
"""
)


def load(tmp_path: Path, text: str):
    path = tmp_path / "p2.toml"
    path.write_text(text, encoding="utf-8")
    return load_lesson(path)


def test_several_right_orders_and_choices(tmp_path):
    lesson, errors = load(tmp_path, ORDER)
    assert errors == [] and lesson is not None
    order, pick, every = lesson.steps
    assert pipeline.check_quiz(order, "2 1 3").passed and pipeline.check_quiz(order, "1 2 3").passed
    assert not pipeline.check_quiz(order, "1 3 2").passed
    assert pipeline.check_quiz(pick, "1").passed and pipeline.check_quiz(pick, "3").passed
    assert not pipeline.check_quiz(pick, "2").passed
    assert pipeline.check_quiz(every, "3 1").passed
    assert not pipeline.check_quiz(every, "1").passed


CODE = (
    HEAD
    + """
[[steps]]
id = "train"
kind = "code"
title.en = "T"
title.zh = "T"
solution = "w = torch.ones(1)"
time_limit = {limit}
hints.en = ["a", "b"]
hints.zh = ["甲", "乙"]

[[steps.expect]]
{expect}
"""
)


@pytest.mark.parametrize(
    ("limit", "expect", "message"),
    [
        (0, 'var = "w"\nnear = 1.0', "`time_limit` must be 1..600 seconds"),
        (20, "near = 1.0", "`near` needs `var`"),
        (20, 'var = "w"\nwithin = 0.1', "`within` needs `near`"),
        (20, 'var = "w"\nnear = "three"', "`near` must be a number"),
        (20, 'var = "w"\nparam_shapes = { w = "big" }', "`param_shapes` must be a table of shapes"),
        (20, 'var = "w"\nhyper = { momentum = "high" }', "`hyper` must be a table of numbers"),
        (20, 'id = "Bad Id"\npredicate = "True"', "expectation id `Bad Id`"),
        (20, 'var = "w"\nid = "named"', "`id` names a predicate"),
    ],
)
def test_misused_part_two_keys_are_errors_at_their_line(tmp_path, limit, expect, message):
    _, errors = load(tmp_path, CODE.format(limit=limit, expect=expect))
    assert any(message in e.message and e.line > 0 for e in errors), [str(e) for e in errors]


def test_the_sandbox_reads_the_course_data_and_still_not_the_lessons(tmp_path):
    from tests.sandbox.sandbox_helpers import make_sandbox

    sb = make_sandbox()
    try:
        sb.new_namespace("")
        ok = sb.run(
            "from tutor.datasets import load_digits\nimages, labels = load_digits()\n"
            "print(tuple(images.shape), images.dtype, int(images.max()), labels.dtype)"
        )
        assert ok.outcome == "ok", ok.error
        assert "(1797, 64) torch.float32 16 torch.int64" in ok.output
        lesson = Path(__file__).resolve().parents[2] / "lessons" / "11-training-loop.toml"
        denied = sb.run(f"open({str(lesson)!r}).read()")
        assert denied.outcome == "error" and "Permission" in denied.error.type + str(denied.error)
        # What the zygote prepared before forking: optimizers need no import, one thread.
        ready = sb.run("import sys; print('torch._dynamo' in sys.modules, torch.get_num_threads())")
        assert "True 1" in ready.output
    finally:
        sb.close()
