"""``validate``: the course proves itself; a broken reference or trap is reported at its line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.sandbox import Sandbox
from tutor.validate import validate_course

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "04-creating-tensors.toml"
# validate's progress on stderr when it is not a terminal: a line per lesson.
PROGRESS = re.compile(r"^\[\d+/\d+ steps done\] checking lesson [\w-]+\.\.\.$")


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(device="cpu", timeout=10)
    sandbox.start()
    assert sandbox.wait_ready(120)
    yield sandbox
    sandbox.close()


def broken_copy(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of lesson 04 with ``old`` replaced once; and the line where ``new`` starts."""
    text = LESSON.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "04-broken.toml"
    path.write_text(text, encoding="utf-8")
    return path, text[: text.index(new)].count("\n") + 1


def messages(tmp_path: Path, sb: Sandbox, path: Path) -> list[str]:
    _, errors = validate_course([path], sb)
    return [str(e) for e in errors]


# The whole course (178 steps: every reference, trap and variant run) takes 2-3 minutes on
# a busy 2-core machine, past the suite's default limit: it gets one of its own.
@pytest.mark.timeout(1200)
def test_whole_course_validates_from_the_command_line(tutor_cli):
    result = tutor_cli("validate", timeout=1100)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all valid" in result.stdout


def test_broken_reference_solution_is_reported(tmp_path, sb):
    path, line = broken_copy(
        tmp_path,
        'solution = "evens = torch.arange(0, 11, 2)"',
        'solution = "evens = torch.arange(0, 10, 2)"',
    )
    errs = messages(tmp_path, sb, path)
    # Compared with itself the changed solution passes, but then the trap no longer fails.
    text = path.read_text(encoding="utf-8")
    trap = text[: text.index('[[steps.traps]]\ncode = "evens = torch.arange(0, 10, 2)"')]
    trap_line = trap.count("\n") + 1
    assert any(e.startswith(f"{path}:{trap_line}: step `evens`: the trap") for e in errs), errs
    path, line = broken_copy(
        tmp_path,
        'solution = "evens = torch.arange(0, 11, 2)"',
        'solution = "evens = torch.arrange(0, 11, 2)"',
    )
    errs = messages(tmp_path, sb, path)
    assert errs == [
        f"{path}:{line}: step `evens`: the reference solution raised AttributeError: "
        "module 'torch' has no attribute 'arrange'"
    ]
    path, line = broken_copy(
        tmp_path,
        'solution = "evens = torch.arange(0, 11, 2)"',
        'solution = "evens = torch.tensor([0, 2, 4, 6, 8, 10])"',
    )
    errs = messages(tmp_path, sb, path)
    assert any(
        e.startswith(f"{path}:{line}: step `evens`: the reference solution does not pass (calls")
        for e in errs
    ), errs


def test_trap_that_passes_is_reported(tmp_path, sb):
    path, line = broken_copy(
        tmp_path,
        'code = "evens = torch.arange(0, 10, 2)"',
        'code = "evens = torch.arange(0, 12, 2)"',
    )
    errs = messages(tmp_path, sb, path)
    assert (
        f"{path}:{line - 1}: step `evens`: the trap 'evens = torch.arange(0, 12, 2)' passes; "
        "a trap must fail" in errs
    ), errs


def test_trap_without_its_promised_feedback_is_reported(tmp_path, sb):
    path, line = broken_copy(
        tmp_path,
        'code = "evens = torch.arange(0, 10, 2)"\nfeedback = "end-excluded"',
        'code = "evens = torch.arange(0, 10, 2)"\nfeedback = "typed-by-hand"',
    )
    errs = messages(tmp_path, sb, path)
    assert any(
        e.startswith(f"{path}:{line - 1}: step `evens`: the trap")
        and "does not get the feedback `typed-by-hand`" in e
        for e in errs
    ), errs


def test_setup_alone_passing_is_reported(tmp_path, sb):
    path, _ = broken_copy(
        tmp_path,
        'setup = "w = torch.empty(3, 5)"',
        'setup = "w = torch.empty(3, 5)\\ntorch.nn.init.xavier_uniform_(w)"',
    )
    text = path.read_text(encoding="utf-8")
    rule = '[[steps.expect]]\nmust_call = ["torch.nn.init.xavier_uniform_"]\n'
    path.write_text(text.replace(rule, ""), encoding="utf-8")
    errs = messages(tmp_path, sb, path)
    assert any("step `xavier`: the set-up alone (an empty answer) passes" in e for e in errs), errs


def test_wrong_quiz_answer_and_missing_translation(tmp_path, sb):
    path, line = broken_copy(
        tmp_path,
        'answer = 2\nexplanation.en = "One decimal',
        'answer = 1\nexplanation.en = "One decimal',
    )
    text = path.read_text(encoding="utf-8").replace('title.zh = "哪种 dtype？"\n', "")
    path.write_text(text, encoding="utf-8")
    errs = messages(tmp_path, sb, path)
    assert any("missing Chinese translation `title.zh`" in e for e in errs), errs
    assert any("step `guess-dtype`: the trap '1' passes" in e for e in errs), errs


def test_validate_command_exit_code_on_a_broken_lesson(tmp_path, tutor_cli):
    path, line = broken_copy(
        tmp_path,
        'solution = "grid = torch.linspace(0, 1, 11)"',
        'solution = "grid = torch.lnspace(0, 1, 11)"',
    )
    result = tutor_cli("validate", str(path))
    assert result.returncode == 1
    assert f"{path}:{line}: step `grid`: the reference solution raised AttributeError" in (
        result.stdout
    )


def test_trap_may_promise_an_error_explanation(tmp_path, sb):
    text = (ROOT / "lessons" / "08-autograd.toml").read_text(encoding="utf-8")
    old = 'code = "y.backward()"\nfeedback = "not-scalar"'
    assert old in text
    path = tmp_path / "08.toml"
    path.write_text(
        text.replace(old, 'code = "y.backward()"\nfeedback = "backward-non-scalar"'),
        encoding="utf-8",
    )
    assert messages(tmp_path, sb, path) == []
    path.write_text(
        text.replace(old, 'code = "y.backward()"\nfeedback = "matmul-inner-size"'), encoding="utf-8"
    )
    assert any(
        "does not get the feedback `matmul-inner-size`" in e for e in messages(tmp_path, sb, path)
    )


def test_each_problem_is_one_line_and_the_count_stands_apart(tmp_path, tutor_cli):
    # A 2 x 3 result: its repr spans lines, and used to run on into the count.
    path, line = broken_copy(
        tmp_path, 'code = """\nz = torch.zeros(3, 2)\n', 'code = """\nz = torch.ones(2, 3)\n'
    )
    result = tutor_cli("validate", str(path), merge_stderr=True)
    assert result.returncode == 1, result.stdout
    lines = [line for line in result.stdout.splitlines() if not PROGRESS.match(line)]
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"{path}:{line - 1}: step `zeros-ones`: the trap")
    assert "z.values: expected tensor([[0., 0., 0.], [0., 0., 0.]])" in lines[0]
    assert lines[1] == "" and lines[2].startswith("1 problem")


HALF = """\
id = "div"
section = 4
title.en = "Div"
title.zh = "除"

[[steps]]
id = "half"
kind = "code"
title.en = "Half"
title.zh = "一半"
text.en = "Make `y`."
text.zh = "创建 `y`。"
setup = "n = 2"
solution = "y = 10 // n"
check = ["y"]
hints.en = ["a", "b"]
hints.zh = ["甲", "乙"]

[[steps.traps]]
code = "y = 4"
fails = "y.values"

[[steps.traps]]
code = "y = n"
fails = "y.values"
"""


def _half(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = tmp_path / "div.toml"
    path.write_text(text, encoding="utf-8")
    return path, text


def _line(text: str, part: str) -> int:
    return text[: text.index(part)].count("\n") + 1


def test_a_reference_that_raises_is_said_once(tmp_path, sb):
    path, text = _half(tmp_path, HALF.replace('setup = "n = 2"', 'setup = "n = 0"'))
    assert messages(tmp_path, sb, path) == [
        f"{path}:{_line(text, 'solution =')}: step `half`: the reference solution raised "
        "ZeroDivisionError: integer division or modulo by zero"
    ]


def test_a_set_up_that_raises_is_blamed_not_the_reference(tmp_path, sb):
    path, text = _half(tmp_path, HALF.replace('setup = "n = 2"', 'setup = "n = m"'))
    assert messages(tmp_path, sb, path) == [
        f"{path}:{_line(text, 'setup =')}: step `half`: the set-up raised "
        "NameError: name 'm' is not defined"
    ]


def test_a_variant_that_breaks_the_reference_is_named(tmp_path, sb):
    path, text = _half(tmp_path, HALF + '\n[[steps.variants]]\nsetup = "n = 0"\n')
    assert messages(tmp_path, sb, path) == [
        f"{path}:{_line(text, '[[steps.variants]]')}: step `half`: the reference solution "
        "raised ZeroDivisionError: integer division or modulo by zero on variant 1 "
        "(set-up `n = 0`)"
    ]
    seeded = HALF.replace('setup = "n = 2"', 'setup = "n = int(torch.randint(0, 3, (1,)))"')
    seeded = seeded.replace("solution =", "seed = 0\nsolution =")
    path, text = _half(tmp_path, seeded + "\n[[steps.variants]]\nseed = 1\n\n"
                       "[[steps.variants]]\nseed = 2\n")  # fmt: skip
    second = text.index("[[steps.variants]]\nseed = 2")
    assert messages(tmp_path, sb, path) == [
        f"{path}:{text[:second].count(chr(10)) + 1}: step `half`: the reference solution raised "
        "ZeroDivisionError: integer division or modulo by zero on variant 2 "
        "(the step's set-up, seed 2)"
    ]


def test_a_variant_whose_set_up_raises_is_named(tmp_path, sb):
    path, text = _half(tmp_path, HALF + '\n[[steps.variants]]\nsetup = "n = m"\n')
    assert messages(tmp_path, sb, path) == [
        f"{path}:{_line(text, '[[steps.variants]]')}: step `half`: the set-up of variant 1 "
        "raised NameError: name 'm' is not defined"
    ]


def test_a_variant_without_set_up_reuses_the_steps(tmp_path, sb):
    """A variant giving only a seed runs the step's set-up with that seed (n is defined)."""
    path, _ = _half(tmp_path, HALF + "\n[[steps.variants]]\nseed = 3\n")
    assert messages(tmp_path, sb, path) == []


LAYER = """\
id = "layers"
section = 9
title.en = "Layers"
title.zh = "层"

[[steps]]
id = "linear"
kind = "code"
title.en = "A layer"
title.zh = "一层"
text.en = "Make `model`, a linear layer from 4 inputs to 3 outputs, and `opt`, SGD on it."
text.zh = "创建 `model`：输入 4、输出 3 的线性层；再创建在它上面的 SGD 优化器 `opt`。"
solution = '''
model = torch.nn.Linear(4, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
'''
hints.en = ["`torch.nn.Linear(4, 3)`", "`torch.optim.SGD(model.parameters(), lr=0.1)`"]
hints.zh = ["`torch.nn.Linear(4, 3)`", "`torch.optim.SGD(model.parameters(), lr=0.1)`"]

[[steps.expect]]
predicate = "isinstance(model, torch.nn.Linear) and model(torch.ones(2, 4)).shape == (2, 3)"
uses = ["model"]
message.en = "`model` should take 4 inputs and give 3 outputs."
message.zh = "`model` 应该接受 4 个输入、给出 3 个输出。"

[[steps.expect]]
predicate = "opt.param_groups[0]['lr'] == 0.1 and len(opt.param_groups[0]['params']) == 2"
uses = ["opt"]
message.en = "`opt` should be SGD with learning rate 0.1 on all of `model`'s parameters."
message.zh = "`opt` 应该是学习率为 0.1、作用于 `model` 全部参数的 SGD。"

[[steps.traps]]
code = '''
model = torch.nn.Linear(3, 4)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
'''
fails = "predicate"

[[steps.traps]]
code = '''
model = torch.nn.Linear(4, 3)
opt = torch.optim.SGD([model.weight], lr=0.1)
'''
fails = "predicate"
"""


def test_predicates_read_modules_and_optimizers_from_the_sandbox(tmp_path, sb):
    path = tmp_path / "layers.toml"
    path.write_text(LAYER, encoding="utf-8")
    assert messages(tmp_path, sb, path) == []


def test_validate_tells_its_progress_on_stderr_a_line_per_lesson(tmp_path, tutor_cli):
    # Two lessons: one progress line each, in order, on stderr (a log: no redraws), and
    # nothing of it among the results on stdout.
    first = tmp_path / "04-creating-tensors.toml"
    first.write_text(LESSON.read_text(encoding="utf-8"), encoding="utf-8")
    second = ROOT / "lessons" / "03-tensors.toml"
    (tmp_path / second.name).write_text(second.read_text(encoding="utf-8"), encoding="utf-8")
    result = tutor_cli("validate", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    told = [line for line in result.stderr.splitlines() if PROGRESS.match(line)]
    assert [line.split()[-1] for line in told] == ["tensors...", "creating-tensors..."], told
    assert told[0].startswith("[0/") and not told[1].startswith("[0/")
    assert "\r" not in result.stderr and "steps done" not in result.stdout
