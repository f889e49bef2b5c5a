"""The command-line contract: ``lessons``, ``check``, ``run``, exit codes and options."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tutor import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tutor(tutor_cli: Any) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The tutor with no locale set, so it speaks its default language."""
    return functools.partial(tutor_cli, env=tutor_cli.env(keep_locale=False), timeout=120)


def answer(tmp_path: Path, text: str, name: str = "answer.py") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_lessons_json_shape(tutor):
    result = tutor("lessons", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and data
    for lesson in data:
        assert set(lesson) == {"id", "title", "steps"}
        for step in lesson["steps"]:
            assert set(step) == {"id", "kind", "title"}
    autograd = next(lesson for lesson in data if lesson["id"] == "autograd")
    assert autograd["title"] == "Autograd: gradients for free"


def test_lessons_json_in_chinese(tutor):
    data = json.loads(tutor("--lang", "zh", "lessons", "--json").stdout)
    assert (
        next(lesson for lesson in data if lesson["id"] == "autograd")["title"]
        == "自动微分：自动求梯度"
    )


def test_check_right_answer(tmp_path, tutor):
    code = answer(tmp_path, "z = torch.zeros(2, 3)\no = torch.ones(3)\n")
    result = tutor("check", "creating-tensors", "zeros-ones", code, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"passed", "checks", "feedback"}
    assert data["passed"] is True and data["feedback"] == []
    assert {"name", "passed", "expected", "got", "message"} == set(data["checks"][0])


def test_check_wrong_answer_leads_with_first_failing_property(tmp_path, tutor):
    code = answer(tmp_path, "z = torch.zeros(3, 2)\no = torch.ones(3)\n")
    result = tutor("check", "creating-tensors", "zeros-ones", code, "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    failed = [c for c in data["checks"] if not c["passed"]]
    assert data["checks"][0] == failed[0] and failed[0]["name"] == "z.shape"
    assert (failed[0]["expected"], failed[0]["got"]) == ("(2, 3)", "(3, 2)")
    assert "z.values" not in [c["name"] for c in data["checks"]]
    assert "rows-cols" in [f["id"] for f in data["feedback"]]
    assert all(set(f) == {"id", "message"} for f in data["feedback"])


def test_check_text_output(tmp_path, tutor):
    code = answer(tmp_path, "evens = torch.arange(0, 10, 2)\n")
    result = tutor("check", "creating-tensors", "evens", code)
    assert result.returncode == 1
    assert result.stdout.startswith("✗ evens.shape: expected (6,), got (5,)")
    assert "arange" in result.stdout


def test_check_quiz_and_predict_answers(tmp_path, tutor):
    right = answer(tmp_path, "2\n")
    assert tutor("check", "creating-tensors", "guess-dtype", right).returncode == 0
    wrong = tutor("check", "creating-tensors", "guess-dtype", answer(tmp_path, "1"), "--json")
    assert wrong.returncode == 1
    assert [f["id"] for f in json.loads(wrong.stdout)["feedback"]] == ["first-element"]
    assert tutor("check", "autograd-more", "detach-shares", answer(tmp_path, "2")).returncode == 0
    assert tutor("check", "autograd-more", "chain-rule", answer(tmp_path, " 18 ")).returncode == 0


def test_check_unknown_lesson_step_or_file(tmp_path, tutor):
    code = answer(tmp_path, "x = 1\n")
    assert tutor("check", "no-such-lesson", "x", code).returncode == 2
    result = tutor("check", "creating-tensors", "no-such-step", code)
    assert result.returncode == 2 and "zeros-ones" in result.stderr
    assert tutor("check", "creating-tensors", "evens", str(tmp_path / "missing.py")).returncode == 2


def test_check_cannot_be_fooled_by_monkeypatching(tmp_path, tutor):
    cheat = answer(
        tmp_path,
        """
import builtins
z = torch.ones(3, 2)
o = torch.zeros(3)
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: True
torch.Tensor.shape = property(lambda self: torch.Size([2, 3]))
torch.Tensor.__repr__ = lambda self: "tensor([[0., 0., 0.], [0., 0., 0.]])"
torch.save = lambda *a, **k: None
builtins.isinstance = lambda *a: True
builtins.print = lambda *a, **k: None
""",
    )
    result = tutor("check", "creating-tensors", "zeros-ones", cheat, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert next(c for c in data["checks"] if not c["passed"])["name"] == "z.shape"


def test_run_prints_output_and_exit_codes(tmp_path, tutor):
    ok = tutor("run", answer(tmp_path, "import torch\nprint(torch.arange(3))\n"))
    assert ok.returncode == 0 and "tensor([0, 1, 2])" in ok.stdout
    bad = tutor(
        "run",
        answer(
            tmp_path, "import torch\nprint('before')\ntorch.zeros(2) @ torch.zeros(3)\n", "bad.py"
        ),
    )
    assert bad.returncode == 1
    assert "before" in bad.stdout
    assert "RuntimeError" in bad.stderr and "bad.py" in bad.stderr
    assert "tutor/sandbox" not in bad.stderr  # learner frames only


def test_run_stopped_by_time_limit(tmp_path, tutor):
    result = tutor("--timeout", "1", "run", answer(tmp_path, "while True:\n    pass\n"))
    assert result.returncode == 1
    assert "time limit" in result.stderr


def test_run_gives_a_script_minutes_not_the_prompts_seconds(tmp_path, monkeypatch):
    """A script is a whole program (part two's training runs take longer than one input's
    10 s): `run` starts its sandbox with a limit of minutes unless --timeout says otherwise."""
    limits: list[float | None] = []

    def no_sandbox(args: Any, write: Any = None) -> Any:
        limits.append(args.timeout)
        raise RuntimeError("not started in this test")

    monkeypatch.setattr(cli, "_sandbox", no_sandbox)
    script = answer(tmp_path, "print(1)\n")
    assert cli.main(["run", script]) == 3
    assert cli.main(["--timeout", "2", "run", script]) == 3
    assert limits == [cli.RUN_TIMEOUT, 2.0] and cli.RUN_TIMEOUT >= 60


def test_run_exit_status(tmp_path, tutor):
    assert tutor("run", answer(tmp_path, "import sys\nsys.exit(0)\n")).returncode == 0
    result = tutor("run", answer(tmp_path, "import sys\nprint('x')\nsys.exit(3)\n"))
    # As `python FILE`: the status itself, and nothing added on stderr.
    assert result.returncode == 3 and result.stdout == "x\n" and result.stderr == ""


def test_run_passes_arguments_streams_and_folder(tmp_path, tutor):
    """The command line as `python FILE ARGS`: arguments after FILE are the script's (even
    ones that look like the tutor's options), stderr apart from stdout, stdin read, and the
    script's folder as working directory, where the files it writes stay."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helper.py").write_text("WORD = 'sibling'\n", encoding="utf-8")
    script = folder / "main.py"
    script.write_text(
        "import os, sys\nimport helper\n"
        "print(sys.argv[1:], helper.WORD, os.getcwd() == os.path.dirname(__file__))\n"
        "print('to stderr', file=sys.stderr)\n"
        "open('saved.txt', 'w').write(input())\n",
        encoding="utf-8",
    )
    result = tutor("run", str(script), "4", "--lang", "zh", "-x", input="kept\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['4', '--lang', 'zh', '-x'] sibling True\n"
    assert result.stderr == "to stderr\n"
    assert (folder / "saved.txt").read_text(encoding="utf-8") == "kept"


def test_wrong_flag_is_a_usage_error(tutor):
    result = tutor("check", "--bogus")
    assert result.returncode == 2 and "usage:" in result.stderr
    result = tutor("--device", "tpu", "lessons")
    assert result.returncode == 2 and "invalid device" in result.stderr


def test_options_accepted_before_and_after_the_subcommand():
    args = cli.build_parser().parse_args(
        ["--lang", "zh", "check", "a", "b", "c", "--device", "cpu", "--timeout", "3"]
    )
    assert (args.lang, args.device, args.timeout, args.command) == ("zh", "cpu", 3.0, "check")
    args = cli.build_parser().parse_args(
        [
            "--plain",
            "--no-save",
            "--progress",
            "p.db",
            "--lesson",
            "autograd",
            "--step",
            "2",
            "--width",
            "60",
            "--record",
            "t.txt",
            "--lessons",
            "a",
            "--lessons",
            "b",
        ]
    )
    assert args.command is None and args.plain and args.no_save
    assert (args.progress, args.lesson, args.step, args.width, args.record) == (
        "p.db",
        "autograd",
        "2",
        60,
        "t.txt",
    )
    assert args.lessons == ["a", "b"]
    args = cli.build_parser().parse_args(["progress", "--export", "csv"])
    assert args.export == "csv" and args.lang in ("en", "zh")


@pytest.mark.parametrize(
    "env, lang",
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "zh_TW"}, "zh"),
        ({"LANG": "en_US"}, "en"),
        ({"LC_ALL": "C", "LANG": "zh_CN"}, "en"),
        ({}, "en"),
    ],
)
def test_default_language_from_locale(env, lang):
    assert cli.default_lang(env) == lang


def test_ui_modules_do_not_import_torch():
    code = (
        "import sys, tutor.cli, tutor.course.lesson, tutor.pipeline, tutor.validate, "
        "tutor.course.files, tutor.codeinfo; "
        "sys.exit('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr


def test_patching_isinstance_to_false_still_gets_a_verdict(tmp_path, tutor):
    cheat = answer(
        tmp_path,
        "import builtins\nz = torch.ones(3, 2)\no = torch.zeros(3)\n"
        "builtins.isinstance = lambda *a: False\n",
    )
    result = tutor("check", "creating-tensors", "zeros-ones", cheat, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [c["name"] for c in json.loads(result.stdout)["checks"] if not c["passed"]]
    assert failed[0] == "z.shape"


def test_check_explains_errors_and_renders_code_as_the_prompt_does(tmp_path, tutor):
    code = answer(tmp_path, "y.backward()\n")
    data = json.loads(tutor("check", "autograd", "sum-backward", code, "--json").stdout)
    assert "backward-non-scalar" in [f["id"] for f in data["feedback"]]  # the prompt's box
    text = tutor("check", "autograd", "sum-backward", code).stdout
    assert "`" not in text and "y.sum().backward()" in text
    assert "needs a single number (a scalar)" in text


def test_an_environment_fault_is_one_line_not_a_traceback(monkeypatch, capsys):
    import errno

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/home/me/.cache")

    monkeypatch.setattr(cli, "cmd_lessons", full)
    assert cli.main(["--lang", "en", "lessons"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "The tutor cannot go on: [Errno 28] No space left on device: '/home/me/.cache'\n"
    )
    assert cli.main(["--lang", "zh", "lessons"]) == 1
    assert capsys.readouterr().err.startswith("torch-tutor 无法继续运行：[Errno 28]")


BROKEN = """\
id = "broken"
section = 42
title.en = "Broken"
title.zh = "坏的"

[[steps]]
id = "a"
kind = "read"
title.en 2 "A"
"""


@pytest.fixture()
def broken_course(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "broken.toml").write_text(BROKEN, encoding="utf-8")
    twin = (ROOT / "tests" / "e2e" / "lessons" / "e2e-basics.toml").read_text(encoding="utf-8")
    (folder / "twin.toml").write_text(twin, encoding="utf-8")  # the same lesson id again
    (tmp_path / "answer.txt").write_text("2\n", encoding="utf-8")
    return folder


def _left_out_lines(folder, lang="en"):
    first = ROOT / "tests" / "e2e" / "lessons" / "e2e-basics.toml"
    tail = {
        "en": "this lesson file is left out of the course until that is fixed.",
        "zh": "这个课程文件有错误，修正之前不会载入课程。",
    }[lang]
    sep = "：" if lang == "zh" else ": "
    return [
        f"{folder}/broken.toml:9:10: TOML syntax error: Expected '=' after a key in a "
        "key/value pair",
        f"{folder}/broken.toml{sep}{tail}",
        f"{folder}/twin.toml:1: duplicate lesson id `e2e-basics` (also in {first})",
        f"{folder}/twin.toml{sep}{tail}",
    ]


def _course_args(folder):
    return ["--lessons", str(ROOT / "tests" / "e2e" / "lessons"), "--lessons", str(folder)]


@pytest.mark.parametrize(
    "command",
    [
        ["lessons"],
        ["lessons", "--json"],
        ["check", "e2e-basics", "pick", "ANSWER"],
        ["watch", "e2e-basics", "nope", "ANSWER"],
        ["--plain", "--no-save", "--lesson", "e2e-basics"],  # the interactive tutor
    ],
)
def test_a_left_out_lesson_is_named_once_by_every_command(broken_course, command):
    answer = str(broken_course.parent / "answer.txt")
    argv = [a.replace("ANSWER", answer) for a in command]
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "--lang", "en", *_course_args(broken_course), *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.splitlines()
    for line in _left_out_lines(broken_course):
        assert lines.count(line) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_check_says_why_a_left_out_lesson_is_unknown(broken_course):
    answer = str(broken_course.parent / "answer.txt")
    for lang in ("en", "zh"):
        done = subprocess.run(
            [sys.executable, "-m", "tutor", "--lang", lang, *_course_args(broken_course)]
            + ["check", "broken", "a", answer],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2
        lines = done.stderr.splitlines()
        assert lines[:4] == _left_out_lines(broken_course, lang)
        why = f"{broken_course}/broken.toml:9:10: TOML syntax error: Expected '=' after a key"
        if lang == "en":
            assert lines[4].startswith(f"lesson `broken` is left out of the course: {why}")
        else:
            assert lines[4].startswith(f"课程 `broken` 没有载入：{why}")
