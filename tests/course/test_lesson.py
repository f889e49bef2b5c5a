"""The lesson loader: the model it builds and its ``path:line: message`` errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tutor.course import find_step, left_out, load_course, load_lesson
from tutor.course.lesson import Text

GOOD = """\
id = "good"
section = 4
title.en = "Good"
title.zh = "好"

[[steps]]
id = "zeros"
kind = "code"
title.en = "Zeros"
title.zh = "零"
text.en = "Make x."
text.zh = "创建 x。"
solution = "x = torch.zeros(2, 3)"
check = ["x"]
hints.en = ["one", "two"]
hints.zh = ["一", "二"]

[[steps.feedback]]
id = "used-ones"
calls = ["torch.ones"]
message.en = "ones"
message.zh = "一"

[[steps.traps]]
code = "x = torch.ones(2, 3)"
feedback = "used-ones"

[[steps.traps]]
code = "x = torch.zeros(3, 2)"
fails = "x.shape"
"""


def write(tmp_path: Path, text: str, name: str = "lesson.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    _, errors = load_lesson(path)
    return [str(e).replace(str(path), "L") for e in errors]


def test_good_lesson_model(tmp_path):
    lesson, errors = load_lesson(write(tmp_path, GOOD))
    assert errors == []
    assert lesson is not None and lesson.id == "good" and lesson.section == 4
    step = lesson.steps[0]
    assert step.kind == "code" and step.check == ("x",) and step.line == 6
    assert step.hints == (Text("one", "一"), Text("two", "二"))
    assert step.traps[0].feedback == "used-ones" and step.traps[1].fails == "x.shape"
    assert step.traps[0].line == 24
    assert step.feedback[0].calls == ("torch.ones",)
    assert step.capture_names == ("x",) and step.watch_names == ("x",)
    assert lesson.step("1") is step and lesson.step("zeros") is step


def test_text_falls_back_to_english():
    assert Text("hello", "").get("zh") == "hello"
    assert Text("hello", "你好").get("zh") == "你好"


def test_toml_syntax_error_has_line_and_column(tmp_path):
    text = GOOD.replace('kind = "code"', 'kind = "code', 1)
    (err,) = errors_of(tmp_path, text)
    assert err == "L:8:13: TOML syntax error: Illegal character '\\n'"


def test_unterminated_string_is_reported_where_it_opens(tmp_path):
    text = GOOD.replace('text.en = "Make x."', 'text.en = """\nMake x.\n', 1)
    (err,) = errors_of(tmp_path, text)
    assert err == (
        "L:11:11: TOML syntax error: Unterminated string: it opens here and is never closed"
    )
    text = GOOD.replace('hints.en = ["one", "two"]', 'hints.en = ["one", "two"', 1)
    (err,) = errors_of(tmp_path, text)
    assert err.startswith("L:16:") and "TOML syntax error" in err  # not line 1


def test_a_byte_that_is_not_utf8_is_reported_where_it_is(tmp_path):
    path = tmp_path / "lesson.toml"
    raw = GOOD.encode("utf-8").replace("零".encode(), b"\xff\xfe", 1)
    path.write_bytes(raw)
    _, errors = load_lesson(path)
    assert [str(e).replace(str(path), "L") for e in errors] == [
        "L:10:13: the file is not UTF-8: byte 0xff cannot be decoded (save it as UTF-8)"
    ]


def test_section_is_0_to_99(tmp_path):
    for section in (0, 9, 42, 99):
        assert errors_of(tmp_path, GOOD.replace("section = 4", f"section = {section}")) == []
    for section in (-1, 100, 2024):
        assert errors_of(tmp_path, GOOD.replace("section = 4", f"section = {section}")) == [
            f"L:2: `section` must be 0..99 (the syllabus's sections, then a teacher's own at "
            f"90..99), not {section}"
        ]


def test_duplicate_feedback_id_in_a_step(tmp_path):
    rule = GOOD[GOOD.index("[[steps.feedback]]") : GOOD.index("[[steps.traps]]")]
    text = GOOD.replace("[[steps.traps]]", rule + "[[steps.traps]]", 1)
    assert errors_of(tmp_path, text) == ["L:24: duplicate feedback id `used-ones` in step `zeros`"]


def test_unknown_key_suggests_closest(tmp_path):
    text = GOOD.replace("solution =", "soluton =")
    errs = errors_of(tmp_path, text)
    assert "L:13: unknown key `soluton` in a code step (did you mean `solution`?)" in errs


def test_step_key_after_subtable_explained(tmp_path):
    text = GOOD + 'hints.en = ["late"]\n'
    errs = errors_of(tmp_path, text)
    assert any(
        e.startswith("L:31: unknown key `hints` in [[steps.traps]]") and "belongs to the step" in e
        for e in errs
    )


def test_missing_field(tmp_path):
    text = GOOD.replace('solution = "x = torch.zeros(2, 3)"\n', "")
    errs = errors_of(tmp_path, text)
    assert "L:6: missing `solution` (a code step needs a reference solution)" in errs


def test_missing_lesson_field(tmp_path):
    errs = errors_of(tmp_path, GOOD.replace("section = 4\n", ""))
    assert "L:1: missing `section`" in errs


def test_wrong_type(tmp_path):
    errs = errors_of(tmp_path, GOOD.replace('check = ["x"]', "check = 3"))
    assert any(e.startswith("L:14: `check` must be a list of strings") for e in errs)
    errs = errors_of(tmp_path, GOOD.replace("section = 4", 'section = "four"'))
    assert any(e.startswith("L:2: `section` must be an integer") for e in errs)


def test_solution_that_does_not_parse_points_at_its_line(tmp_path):
    text = GOOD.replace('solution = "x = torch.zeros(2, 3)"', 'solution = """\nx = 1\ny = (2\n"""')
    errs = errors_of(tmp_path, text)
    assert any(e.startswith("L:15: `solution` is not valid Python") for e in errs), errs


def test_trap_and_setup_that_do_not_parse(tmp_path):
    text = GOOD.replace('code = "x = torch.zeros(3, 2)"', 'code = "x = torch.zeros(3, 2"')
    text = text.replace('check = ["x"]', 'check = ["x"]\nsetup = "def f(:"')
    errs = errors_of(tmp_path, text)
    assert any(e.startswith("L:15: `setup` is not valid Python") for e in errs), errs
    assert any(e.startswith("L:30: `code` is not valid Python") for e in errs), errs


def test_duplicate_step_id(tmp_path):
    second = GOOD.split("[[steps]]", 1)[1]
    errs = errors_of(tmp_path, GOOD + "\n[[steps]]" + second)
    assert "L:33: duplicate step id `zeros`" in errs


def test_missing_translation_is_lint_and_lesson_still_loads(tmp_path):
    path = write(tmp_path, GOOD.replace('title.zh = "零"\n', ""))
    lesson, errors = load_lesson(path)
    assert lesson is not None
    assert [(e.line, e.lint) for e in errors] == [(9, True)]
    assert "missing Chinese translation `title.zh`" in errors[0].message
    assert lesson.steps[0].title.get("zh") == "Zeros"


def test_unknown_kind_and_trap_feedback(tmp_path):
    errs = errors_of(tmp_path, GOOD.replace('kind = "code"', 'kind = "cod"'))
    assert any(e.startswith("L:8: unknown step kind `cod` (did you mean `code`?)") for e in errs)
    errs = errors_of(tmp_path, GOOD.replace('feedback = "used-ones"', 'feedback = "used-one"'))
    assert any(e.startswith("L:24: trap promises unknown feedback `used-one`") for e in errs)


def test_trap_feedback_far_from_any_id_lists_the_known_ones(tmp_path):
    """Issue 13, item 9: an unknown detector id names the ids that exist, the step's own and
    the built-in ones, as `quiet` does."""
    from tutor.course.lesson import DETECTOR_IDS

    errs = errors_of(tmp_path, GOOD.replace('feedback = "used-ones"', 'feedback = "zzqx"'))
    (said,) = [e for e in errs if "trap promises unknown feedback `zzqx`" in e]
    assert "this step's feedback ids: used-ones" in said
    assert "the built-in ids: " + ", ".join(sorted(DETECTOR_IDS)) in said


def test_unknown_expect_property(tmp_path):
    text = GOOD.replace(
        "[[steps.feedback]]", '[[steps.expect]]\nvar = "x"\nprops = ["shap"]\n\n[[steps.feedback]]'
    )
    errs = errors_of(tmp_path, text)
    assert any("unknown property `shap` in `props` (did you mean `shape`?)" in e for e in errs)


def test_quiz_answer_out_of_range(tmp_path):
    quiz = textwrap.dedent("""\
        id = "q"
        section = 1
        title.en = "Q"
        title.zh = "Q"

        [[steps]]
        id = "pick"
        kind = "quiz"
        title.en = "Pick"
        title.zh = "选"
        choices.en = ["a", "b"]
        choices.zh = ["甲", "乙"]
        answer = 3
        """)
    assert errors_of(tmp_path, quiz) == [
        "L:13: `answer` must be a choice number 1..2 (or a list of them)"
    ]


def test_broken_lesson_does_not_stop_the_others(tmp_path):
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD.replace('"good"', '"other"').replace("kind =", "kind"), "b.toml")
    write(tmp_path, GOOD.replace('"good"', '"third"'), "c.toml")
    write(tmp_path, GOOD, "d.toml")  # duplicate lesson id
    lessons, errors = load_course([tmp_path])
    assert [lesson.id for lesson in lessons] == ["good", "third"]
    shown = [str(e).replace(str(tmp_path) + "/", "") for e in errors]
    assert any(s.startswith("b.toml:8:6: TOML syntax error") for s in shown), shown
    assert any(s.startswith("d.toml:1: duplicate lesson id `good`") for s in shown), shown


def test_left_out_lessons_are_named_with_their_errors(tmp_path):
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD.replace('"good"', '"other"').replace("kind =", "kind"), "b.toml")
    write(tmp_path, GOOD, "d.toml")  # duplicate lesson id
    lint_only = GOOD.replace('title.zh = "零"\n', "").replace('"good"', '"fifth"')
    write(tmp_path, lint_only, "e.toml")  # a missing translation: it loads
    lessons, errors = load_course([tmp_path])
    out = left_out(lessons, errors)
    assert [(Path(o.path).name, o.lesson_id) for o in out] == [
        ("b.toml", "other"),
        ("d.toml", "good"),
    ]
    assert str(out[0].errors[0]).startswith(f"{tmp_path / 'b.toml'}:8:")
    assert [str(e) for e in out[1].errors] == [
        f"{tmp_path / 'd.toml'}:1: duplicate lesson id `good` (also in {tmp_path / 'a.toml'})"
    ]


def test_find_step(tmp_path):
    lessons, _ = load_course([write(tmp_path, GOOD)])
    assert find_step(lessons, "good", "zeros")[1].id == "zeros"
    assert find_step(lessons, "lesson", "1")[1].id == "zeros"  # file stem and number
    assert find_step(lessons, "good", "nope")[1] is None
    assert find_step(lessons, "nope", "zeros") == (None, None)


def test_the_course_loads_without_errors():
    lessons, errors = load_course([Path(__file__).resolve().parents[2] / "lessons"])
    assert [str(e) for e in errors] == []
    assert {"creating-tensors", "autograd", "autograd-more"} <= {lesson.id for lesson in lessons}


@pytest.mark.parametrize("lesson_id", ["creating-tensors", "autograd", "autograd-more"])
def test_my_lessons_follow_the_course_rules(lesson_id):
    lessons, _ = load_course([Path(__file__).resolve().parents[2] / "lessons"])
    lesson = next(lesson for lesson in lessons if lesson.id == lesson_id)
    kinds = [s.kind for s in lesson.steps]
    assert "code" in kinds and "predict" in kinds
    for step in lesson.steps:
        if step.kind == "code":
            assert step.solution and len(step.traps) >= 2 and len(step.hints) >= 2
            assert all(t.feedback for t in step.traps[:2])
