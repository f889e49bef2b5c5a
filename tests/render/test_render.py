"""Renderables of the session (tutor.render.chat), rendered narrow and read as text."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from tutor.course.lesson import Lesson, Step
from tutor.course.lesson import Text as LText
from tutor.judge.verdict import Check, Feedback, Verdict
from tutor.render import chat as render


def _text(renderable: Any, width: int = 60) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _lesson(step: Step) -> Lesson:
    return Lesson(id="l", section=4, title=LText("Lesson", "课"), steps=(step,))


def test_setup_is_shown_as_given_in_both_languages() -> None:
    step = Step(
        id="s",
        kind="code",
        title=LText("Double", "翻倍"),
        text=LText("Make `y`.", "创建 `y`。"),
        setup="a = torch.arange(6)",
    )
    en = _text(render.step_panel(_lesson(step), step, "en"))
    zh = _text(render.step_panel(_lesson(step), step, "zh"))
    assert "Given:" in en and "a = torch.arange(6)" in en
    assert "已给出：" in zh and "a = torch.arange(6)" in zh
    bare = Step(id="s", kind="code", title=LText("Double", "翻倍"), text=LText("Make `y`.", ""))
    assert "Given" not in _text(render.step_panel(_lesson(bare), bare, "en"))


def test_choices_are_markdown() -> None:
    step = Step(
        id="q",
        kind="quiz",
        title=LText("Pick", "选"),
        text=LText("Which?", "哪个？"),
        choices=(LText("`torch.ones`", "`torch.ones`"), LText("**none**", "**无**")),
    )
    out = _text(render.step_panel(_lesson(step), step, "en"))
    assert "1. torch.ones" in out and "2. none" in out and "`" not in out and "**" not in out


def _verdict(*feedback: Feedback) -> Verdict:
    return Verdict(False, [Check("x.values", False, "1", "2")], list(feedback))


def test_lesson_feedback_first_and_one_new_diagnosis_at_most() -> None:
    lesson = Feedback("end-included", "`torch.arange(1, 5)` stops before 5.", "feedback")
    same = Feedback("arange-end", "`torch.arange(1, 5)` leaves out its end.", "diagnosis")
    other = Feedback(
        "int-not-float", "Your tensor holds integers; floats were wanted.", "diagnosis"
    )
    third = Feedback("transposed", "Rows and columns are swapped.", "diagnosis")
    chosen = render.chosen_feedback([same, other, third, lesson])
    assert [f.id for f in chosen] == ["end-included", "int-not-float"]
    # Without lesson feedback every detector speaks.
    assert [f.id for f in render.chosen_feedback([same, other])] == ["arange-end", "int-not-float"]
    out = _text(render.verdict(_verdict(same, lesson), "en"))
    assert out.count("→") == 1 and "stops before 5" in out


def test_a_lesson_rule_named_after_the_detector_silences_it() -> None:
    lesson = Feedback("transposed-result", "You got the transpose of the answer.", "feedback")
    detector = Feedback("transposed", "Your result looks transposed.", "diagnosis")
    assert render.chosen_feedback([detector, lesson]) == [lesson]


def test_an_error_already_explained_is_not_explained_again() -> None:
    error = Feedback("matmul-inner-size", "The inner sizes differ.", "error")
    assert render.chosen_feedback([error], error_shown=True) == []
    assert render.chosen_feedback([error]) == [error]


def test_error_block_names_the_tensors_from_shapes() -> None:
    from tutor.sandbox.results import ErrorInfo

    message = (
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
    )
    error = ErrorInfo("RuntimeError", message, f"RuntimeError: {message}")
    out = _text(
        render.error_block(error, "en", code="c = p + q", shapes={"p": [2, 3], "q": [4]}), width=80
    )
    assert "Here p is (2, 3) and q is (4,)." in out
    assert "p 2 3" in out and "q   4" in out  # both shapes drawn whole, right-aligned


def test_width_is_honoured() -> None:
    step = Step(
        id="s",
        kind="code",
        title=LText("A long title " * 3, ""),
        text=LText("word " * 60, ""),
        setup="value = " + " + ".join(["1"] * 40),
    )
    out = _text(render.step_panel(_lesson(step), step, "en"), width=40)
    assert max(len(line) for line in out.splitlines()) <= 40


def test_chinese_lines_join_without_a_space() -> None:
    text = (
        "张量是多维数组，\n它可以放在 GPU 上。\nIt has a `shape`\nand a dtype.\n\n"
        "```python\n# 注释\n# 继续\n```"
    )
    out = _text(render.markdown(text), width=80)
    assert "张量是多维数组，它可以放在 GPU 上。" in out
    assert "It has a shape and a dtype." in out
    assert "# 注释" in out and "# 继续" in out and "注释# 继续" not in out
    assert render.join_cjk_lines("# 标题\n正文") == "# 标题\n正文"
    assert render.join_cjk_lines("第一行  \n第二行") == "第一行  \n第二行"  # a hard break
    assert render.join_cjk_lines("- 第一项\n  接着写") == "- 第一项接着写"


def test_the_explanation_label_takes_a_full_width_colon_in_chinese() -> None:
    assert "原因：因为" in _text(render.explanation("因为", "zh"))
    assert "原因:" not in _text(render.explanation("因为", "zh"))
    assert "Why: because" in _text(render.explanation("because", "en"))


def test_verdict_rows_speak_chinese_where_they_are_words() -> None:
    checks = [
        Check("x.type", False, "Tensor", "未定义"),
        Check("x.values", True, "1", "1"),
        Check("x.shape", True, "(2,)", "(2,)"),
        Check("answer", False, "—", "b"),
        Check("output", False, "[x]", "UserWarning: careful\n1"),
    ]
    zh = _text(render.verdict_table(Verdict(False, tuple(checks)), "zh"), width=80)
    assert "x 的类型" in zh and "x 的值" in zh and "x.shape" in zh and "答案" in zh
    assert "输出" in zh and "[x]" in zh
    assert "警告：UserWarning: careful" in zh
    en = _text(render.verdict_table(Verdict(False, tuple(checks)), "en"), width=80)
    assert "x.type" in en and "answer" in en and "警告" not in en
    brief = render.verdict_brief(Verdict(False, tuple(checks)), "zh")
    assert "还差一点。✗ x 的类型、答案、输出" in _text(brief, width=80)


def test_a_failure_message_shows_code_spans_without_backticks_or_markup() -> None:
    checks = (Check("gpu.type", False, "bool", "int", "`gpu` should be a [bold]bool[/]."),)
    shown = _text(render.verdict(Verdict(False, checks), "en"), width=80)
    assert "✗ gpu should be a [bold]bool[/]." in shown and "`" not in shown


def test_the_answer_prompt_says_how_to_answer() -> None:
    def step(**kw: Any) -> Step:
        return Step(id="s", kind="quiz", title=LText("t", "t"), **kw)

    choice = step(choices=(LText("a", "a"), LText("b", "b")), answer=1)
    order = step(items=(LText("a", "a"), LText("b", "b")), answer=(2, 1))
    assert render.answer_prompt(choice) == "quiz_prompt"
    assert render.answer_prompt(order) == "order_prompt"
    assert render.answer_prompt(step()) == "answer_prompt"
    predict = Step(id="p", kind="predict", title=LText("t", "t"), code="print(1)")
    assert render.answer_prompt(predict) == "output_prompt"


def test_a_tall_printed_tensor_is_cut_in_the_table_not_rewrapped() -> None:
    rows = "\n".join(
        f"        [{i}.0000e+00, 1.0000e+00, 2.0000e+00, 3.0000e+00]," for i in range(20)
    )
    checks = (Check("t.values", False, "tensor([\n" + rows + "])", "tensor([\n" + rows + "])"),)
    shown = _text(render.verdict_table(Verdict(False, checks), "en"), width=60)
    lines = shown.splitlines()
    assert len(lines) <= 3 + 8  # header, rule, eight lines of the row
    assert any(line.rstrip().endswith("…") for line in lines)


def test_a_memory_row_names_the_property_and_leaves_the_state_to_its_cells() -> None:
    """The 06 walk: "✗ a 共享内存 │ 共享内存 │ 各自独立的内存" read as a claim the row denies."""
    checks = (
        Check("a.shares_memory", False, "共享内存", "各自独立的内存"),
        Check("b.independent", False, "各自独立的内存", "共享内存"),
    )
    rows = _text(render.verdict_table(Verdict(False, checks), "zh"), width=80).splitlines()
    for label in (render.check_label(c.name, "zh") for c in checks):
        assert "共享" not in label and "独立" not in label, label
    assert any(r.split() == ["✗", "a", "的内存", "共享内存", "各自独立的内存"] for r in rows), rows
    assert any(r.split() == ["✗", "b", "的内存", "各自独立的内存", "共享内存"] for r in rows), rows


def test_a_long_syntax_error_line_keeps_its_caret_column() -> None:
    """Rich must not word-wrap a traceback: the caret would land under the wrong character."""
    from tutor.sandbox.results import ErrorInfo
    from tutor.session.transcript import Recorder
    from tutor.session.ui import PlainUI, make_console

    source = "x = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) + torch.ones(13) +"
    caret = " " * (len(source) - 1) + "^"
    trace = f'  File "<input>", line 1\n    {source}\n    {caret}\nSyntaxError: invalid syntax'
    out = io.StringIO()
    ui = Recorder(PlainUI(make_console(out, width=40, plain=True), io.StringIO("")))
    ui.show(render.error_block(ErrorInfo("SyntaxError", "invalid syntax", trace), "en"))
    for shown in (out.getvalue(), ui.text()):
        lines = shown.split("\n")
        assert "    " + source in lines and "    " + caret in lines, shown


# ---------------------------------------------------------------- issue 20: the newcomer walk


def test_a_detector_about_the_variable_the_lesson_spoke_of_stays_quiet() -> None:
    """C10: "10 is missing" (the lesson, about `evens`) and "evens stops at 8" (a detector,
    about `evens`) said one thing twice; a detector about another variable still speaks."""
    lesson = Feedback(
        "end-excluded", "10 is missing: stops before the end.", "feedback", ("evens",)
    )
    same = Feedback("arange-end", "`evens` stops at 8, one value early.", "diagnosis", ("evens",))
    other = Feedback("int-not-float", "`odds` holds integers.", "diagnosis", ("odds",))
    assert render.chosen_feedback([same, lesson]) == [lesson]
    assert render.chosen_feedback([same, other, lesson]) == [lesson, other]
    # a lesson rule without `failed` names no variable: the older checks decide
    loose = Feedback("hint-ish", "Use arange.", "feedback")
    assert render.chosen_feedback([same, loose]) == [loose, same]
    # and the variables travel from the judge to the session
    back = Verdict.from_json(Verdict(False, (), (same, loose)).to_json())
    assert back.feedback == (same, loose)


def test_counts_are_said_once_and_name_their_variable() -> None:
    """C10/C11: the first failure gives the counts for `rolls`; the summary under it only adds
    the largest difference."""
    checks = (
        Check(
            "rolls.values",
            False,
            "tensor([3])",
            "tensor([5])",
            "`rolls`: 8 of 10 values differ (first at (0,), largest difference 2).",
        ),
    )
    summary = {
        "kind": "summary",
        "name": "rolls",
        "count": 8,
        "total": 10,
        "max_diff": 2.0,
        "at": [0],
        "expected_at": 3,
        "got_at": 5,
    }
    out = _text(render.verdict(Verdict(False, checks, (), (summary,)), "en"), width=100)
    assert "✗ rolls: 8 of 10 values differ" in out
    assert "80.0%" not in out and "elements differ" not in out
    assert "rolls: it differs most at index (0,): expected 3, yours 5." in out
    assert out.count("largest difference") == 1  # the counts say it; the summary says where
    zh = _text(render.verdict(Verdict(False, checks, (), (summary,)), "zh"), width=100)
    assert "rolls：相差最大处在下标 (0,)：期望 3，你的是 5。" in zh
    assert "最大差值" not in zh  # the summary does not repeat it (this check's own line is English)


def test_a_short_code_span_moves_to_the_next_line_whole() -> None:
    """K1: "torch.tensor([[1," at a line's end and "2, 3]])" on the next read as broken code."""
    text = (
        "→ `torch.tensor` takes one argument, so the two rows must sit in one list: "
        "`torch.tensor([[1, 2, 3], [4, 5, 6]])`."
    )
    for width in range(60, 101):
        out = _text(render.markdown(text), width=width)
        assert "torch.tensor([[1, 2, 3], [4, 5, 6]])" in out, (width, out)
        assert "\ue000" not in out
    zh = (
        "→ 两行必须放在同一个外层列表里面，比如写成这样子的形式："
        "`x = torch.arange(12).reshape(3, 4)` 就行。"
    )
    for width in range(50, 81):
        assert "x = torch.arange(12).reshape(3, 4)" in _text(render.markdown(zh), width=width)
    # a code block keeps its own spaces and lines
    block = "```python\nx = 1  # two spaces\n```"
    assert "x = 1  # two spaces" in _text(render.markdown(block), width=40)


def test_a_long_tensor_is_cut_after_a_whole_value_in_both_columns_alike() -> None:
    """K2: `0.20…` on the left and `0.200…` on the right could not be compared."""
    row = "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,"
    value = row + "\n        0.9000, 1.0000])"
    checks = (Check("grid.values", True, value, value),)
    for width in (70, 80, 100):
        lines = _text(render.verdict_table(Verdict(True, checks), "en"), width=width).splitlines()
        first = next(line for line in lines if "grid.values" in line)
        cells = [c for c in first.split("   ") if c.strip().startswith("tensor")]
        assert len(cells) == 2 and cells[0].strip() == cells[1].strip(), (width, first)
        assert cells[0].strip().endswith(",…"), first


def test_a_python_warning_is_labelled_and_wrapped_between_words() -> None:
    """C17: NumPy's English warning, cut mid-word by the terminal in a Chinese session."""
    warning = (
        "<input>:1: DeprecationWarning: __array__ implementation doesn't accept a copy keyword, "
        "so passing copy=False failed. To learn more, see the migration guide "
        "https://numpy.org/devdocs/numpy_2_0_migration_guide.html#adapting-to-changes\n"
        "  a = np.array(t)\n"
    )
    zh = render.wrap_warnings("before\n" + warning, "zh", 80)
    lines = zh.splitlines()
    assert lines[0] == "before" and lines[1].startswith("警告：<input>:1: DeprecationWarning:")
    assert lines[-1] == "  a = np.array(t)"
    words = " ".join(line.strip() for line in lines[1:-1])
    assert "警告：" + " ".join(warning.splitlines()[0].split()) == words.replace(
        "警告： ", "警告："
    )
    assert all(len(line.encode("utf-16-le")) // 2 <= 80 or "https://" in line for line in lines)
    en = render.wrap_warnings(warning, "en", 80)
    assert en.startswith("<input>:1: DeprecationWarning:") and "\n    so passing" not in en[:10]
    # a warning cut off at the end of a chunk is left alone: its end comes in the next one
    part = "x\n<input>:1: UserWarning: half"
    assert render.wrap_warnings(part, "zh", 20) == part
