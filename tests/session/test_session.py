"""The conversation loop, driven by a script against an in-process fake sandbox (and once for
real)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tutor.codeinfo import relevant_code
from tutor.course import load_lesson
from tutor.progress import Store
from tutor.sandbox.results import ErrorInfo, ReferenceRun, RunResult
from tutor.session.conversation import Session
from tutor.session.ui import ScriptUI
from tutor.testing import run_session_script

ROOT = Path(__file__).resolve().parents[2]

LESSON = """
id = "sums"
section = 4
title.en = "Sums"
title.zh = "求和"

[[steps]]
id = "intro"
kind = "read"
title.en = "Hello"
title.zh = "你好"
text.en = "We add numbers."
text.zh = "我们来做加法。"

[[steps]]
id = "six"
kind = "code"
title.en = "Make six"
title.zh = "得到六"
text.en = "Set `x` to two times three."
text.zh = "让 `x` 等于二乘三。"
solution = "x = 2 * 3"
check = ["x"]
hints.en = ["Use `*`.", "`x = 2 * 3`"]
hints.zh = ["用 `*`。", "`x = 2 * 3`"]

[[steps]]
id = "pick"
kind = "quiz"
title.en = "Pick"
title.zh = "选择"
text.en = "Which is six?"
text.zh = "哪个是六？"
choices.en = ["2 + 3", "2 * 3"]
choices.zh = ["2 + 3", "2 * 3"]
answer = 2
explanation.en = "Two threes make six."
explanation.zh = "两个三是六。"

[[steps]]
id = "end"
kind = "read"
title.en = "The end"
title.zh = "结束"
text.en = "Done."
text.zh = "完成。"
"""


class FakeSandbox:
    """Runs code in this process (plain Python, no torch) and judges by equality."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {}
        self.lang = "en"
        self.snaps: dict[str, dict[str, Any]] = {}

    def is_ready(self) -> bool:
        return True

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True

    def _exec(self, code: str, ns: dict[str, Any]) -> RunResult:
        if "while True" in code:
            return RunResult("timeout", "", ErrorInfo("TimeoutError", "Stopped after 10 s."))
        try:
            exec(code, ns)
        except Exception as exc:  # noqa: BLE001
            return RunResult(
                "error", "", ErrorInfo(type(exc).__name__, str(exc), f"{type(exc).__name__}: {exc}")
            )
        return RunResult("ok")

    def new_namespace(self, setup: str, seed: int | None = None) -> RunResult:
        self.ns = {}
        return self._exec(setup, self.ns)

    def run(
        self, code: str, *, on_output: Any = None, seed: Any = None, echo: bool = False, **kw: Any
    ) -> RunResult:
        result = self._exec(code, self.ns)
        if on_output is not None and "print" in code:
            on_output("printed\n")
        return result

    def _snap(self, ns: dict[str, Any], names: list[str]) -> str:
        key = f"snap{len(self.snaps)}"
        self.snaps[key] = {n: ns.get(n, "<missing>") for n in names}
        return key

    def snapshot(self, names: list[str]) -> str:
        return self._snap(self.ns, names)

    def reference(self, setup: str, solution: str, seed: Any, names: list[str]) -> ReferenceRun:
        return self.run_fresh(setup, [solution], seed, names)

    def run_fresh(
        self, setup: str, pieces: list[str], seed: Any, names: list[str], **kw: Any
    ) -> ReferenceRun:
        ns: dict[str, Any] = {}
        self.fresh_runs = getattr(self, "fresh_runs", 0) + 1
        result = self._exec(setup, ns)
        if not result.ok:
            return ReferenceRun(result.outcome, "", result.error, None, stage="setup")
        ran = 0
        for piece in pieces:
            ran += 1
            result = self._exec(piece, ns)
            if not result.ok:
                break
        return ReferenceRun(result.outcome, "", result.error, self._snap(ns, names), ran=ran)

    def judge(self, request: dict[str, Any]) -> dict[str, Any]:
        mine, ref = self.snaps[request["learner"]], self.snaps[request["reference"]]
        checks = [
            {
                "name": f"{n}.values",
                "passed": mine[n] == ref[n],
                "expected": str(ref[n]),
                "got": str(mine[n]),
                "message": "",
            }
            for n in ref
        ]
        return {
            "passed": all(c["passed"] for c in checks),
            "checks": checks,
            "feedback": [],
            "pictures": [],
        }

    def call(self, op: str, **kwargs: Any) -> Any:
        if op == "vars":
            return [
                {"name": k, "type": type(v).__name__}
                for k, v in self.ns.items()
                if not k.startswith("_")
            ]
        if op == "inspect":
            return {
                "found": True,
                "name": kwargs["name"],
                "signature": "arange(end)",
                "doc": "Returns a 1-D tensor.",
            }
        return {"python": "3", "torch": "fake", "device": "cpu", "gpu_name": None}


@pytest.fixture()
def lesson(tmp_path: Path) -> Any:
    path = tmp_path / "04-sums.toml"
    path.write_text(LESSON, encoding="utf-8")
    loaded, errors = load_lesson(path)
    assert loaded is not None, errors
    return loaded


def _session(
    lesson: Any,
    inputs: list[str],
    lang: str = "en",
    store: Store | None = None,
    start: tuple[str | None, str | None] = ("sums", None),
) -> str:
    ui = ScriptUI(inputs, width=80)
    session = Session([lesson], FakeSandbox(), store or Store(None), ui, lang)
    assert session.run(*start) == 0
    return ui.transcript()


def test_a_whole_lesson(lesson: Any) -> None:
    out = _session(lesson, ["", "x = 5", "/hint", "/hint", "x = 2 * 3", "1", "2", "", "/quit"])
    assert "lesson 4 · step 1/4 · 0 of 2 exercises done" in out
    assert "Not quite yet." in out and "✗   x.values   6" in out
    assert "hint 1 of 2" in out and "hint 2 of 2" in out
    assert "Use *." in out and "x = 2 * 3" in out
    assert "Well done!" in out
    assert "lesson 4 · step 3/4 · 1 of 2 exercises done" in out
    assert "Two threes make six." in out
    assert "lesson 4 · step 4/4 · 2 of 2 exercises done" in out
    assert "You have finished the course" in out


def test_exploration_is_not_scolded_but_a_pass_is_told(lesson: Any) -> None:
    out = _session(lesson, ["", "y = 1", "print(y)", "x = 6", "/quit"])
    assert "printed" in out
    assert "Not quite yet" not in out
    assert "Well done!" in out


def test_the_same_failure_twice_is_one_line(lesson: Any) -> None:
    out = _session(lesson, ["", "x = 5", "x = 5", "x", "/quit"])
    assert out.count("✗   x.values") == 1
    assert out.count("Not quite yet. ✗ x.values") == 1
    # reading x is trying things out: not marked, said once in a quiet line
    assert out.count("Trying things out") == 1


def test_errors_are_explained_and_outcomes_told(lesson: Any) -> None:
    msg = "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"
    out = _session(lesson, ["", f"raise RuntimeError({msg!r})", "while True: pass", "/quit"])
    assert f"RuntimeError: {msg}" in out
    assert "What this means" in out and "Matrix product" in out
    assert "longer than the time limit" in out


def test_commands(lesson: Any) -> None:
    out = _session(
        lesson,
        [
            "/hnt",
            "/lessons",
            "/goto 4.3",
            "/back",
            "/skip",
            "?arange",
            "/vars",
            "/env",
            "/explain",
            "/solution",
            "n",
            "/reset",
            "/help",
            "/quit",
        ],
    )
    assert "Unknown command /hnt." in out and "Did you mean /hint?" in out
    assert "Lessons" in out and "sums" in out and "0/2" in out  # its two exercises
    assert "step 3/4" in out and "Skipped: this exercise is marked as skipped" in out
    assert "arange(end)" in out and "Returns a 1-D tensor." in out
    assert "Show the solution? [y/N] n" in out
    assert "a fresh namespace for this step" in out


def test_solution_shows_and_runs(lesson: Any) -> None:
    out = _session(lesson, ["", "/solution", "y", "/quit"])
    # Plain mode shows the solution at the prompt, as if typed, and runs it as an answer.
    assert ">>> x = 2 * 3" in out and "Well done!" in out


def test_questions_in_plain_words(lesson: Any) -> None:
    out = _session(lesson, ["how do we add numbers?", "/quit"])
    assert "From the course:" in out and "We add numbers." in out


def test_chinese_session(lesson: Any) -> None:
    out = _session(lesson, ["", "x = 5", "/hint", "/lang en", "/lang zh", "/quit"], lang="zh")
    assert "第 4 课 · 第 1/4 步" in out and "还差一点。" in out and "提示 1/2" in out
    assert "Language: English." in out and "语言：中文。" in out
    assert "再见" in out


def test_resume_where_the_learner_stopped(lesson: Any, tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    _session(lesson, ["", "x = 6", "/quit"], store=store)
    store.close()
    again = Store(tmp_path / "p.db")
    out = _session(lesson, ["/quit"], store=again, start=(None, None))
    assert "Welcome back" in out and "step 3/4 · 1 of 2 exercises done" in out
    assert again.get("sums", "six").status == "passed"


def test_relevant_code_follows_the_names_an_answer_reads() -> None:
    inputs = ["x = torch.ones(3)", "a = torch.arange(6)", "b = 2"]
    assert relevant_code(inputs, "x = a.reshape(2, 3)") == (
        "a = torch.arange(6)\nx = a.reshape(2, 3)"
    )
    assert relevant_code(inputs, "x = torch.zeros(3)") == "x = torch.zeros(3)"


def test_the_ui_modules_never_import_torch() -> None:
    code = (
        "import sys, tutor.session.app, tutor.session.conversation, tutor.session.prompt, "
        "tutor.session.commands, tutor.render.chat, "
        "tutor.session.ask, tutor.progress; assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_plain_mode_from_a_pipe(tutor_cli: Any) -> None:
    proc = tutor_cli(
        "--plain",
        "--no-save",
        "--lang",
        "en",
        input="x = torch.zeros(2, 3)\n/quit\n",
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert ">>> x = torch.zeros(2, 3)" in proc.stdout and "\x1b[" not in proc.stdout


def test_run_session_script_with_the_real_sandbox() -> None:
    out = run_session_script(
        ROOT / "tests" / "e2e" / "lessons" / "e2e-basics.toml",
        ["", "x = torch.ones(2, 3)", "x = torch.zeros(2, 3)", "/quit"],
    )
    assert "torch.ones fills with ones" in out
    assert "Well done!" in out and "step 3/4" in out


def test_code_at_a_quiz_runs_instead_of_answering(lesson: Any) -> None:
    out = _session(lesson, ["/goto sums.pick", "y = 2 * 3", "print(y)", "2", "/quit"])
    assert out.count("Not quite yet") == 0 and "printed" in out and "Well done!" in out


def test_question_at_a_quiz_is_answered_not_graded(lesson: Any) -> None:
    out = _session(lesson, ["/goto sums.pick", "how do we add numbers?", "2", "/quit"])
    assert "From the course:" in out and "Not quite yet" not in out and "Well done!" in out


def test_progress_command_shows_and_exports(tmp_path: Path, capsys: Any) -> None:
    import argparse
    import json

    from tutor.session.app import progress_command

    store = Store(tmp_path / "p.db")
    store.attempt("sums", "six", "x = 6", passed=True)
    store.close()
    args = argparse.Namespace(
        progress=str(tmp_path / "p.db"), lang="en", json=True, export=None, width=80, plain=True
    )
    assert progress_command(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["steps"][0]["status"] == "passed"
    args.json, args.export = False, "csv"
    assert progress_command(args) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(",sums,six,passed,,1,0,0.0,") and line.endswith(",,,")
    args.export = None
    assert progress_command(args) == 0
    assert "✓ passed" in capsys.readouterr().out


VARIED = """
id = "double"
section = 7
title.en = "Double"
title.zh = "加倍"

[[steps]]
id = "twice"
kind = "code"
title.en = "Twice"
title.zh = "两倍"
text.en = "Set `y` to two times `n`."
text.zh = "让 `y` 等于 `n` 的两倍。"
setup = "n = 3"
solution = "y = 2 * n"
check = ["y"]
hints.en = ["Use `*`.", "`y = 2 * n`"]
hints.zh = ["用 `*`。", "`y = 2 * n`"]

[[steps.variants]]
setup = "n = 8"

[[steps]]
id = "on-gpu"
kind = "code"
device = "gpu"
title.en = "On the GPU"
title.zh = "在 GPU 上"
text.en = "Set `z` to `n`."
text.zh = "让 `z` 等于 `n`。"
setup = "n = 3"
solution = "z = n"
check = ["z"]
hints.en = ["Assign.", "`z = n`"]
hints.zh = ["赋值。", "`z = n`"]

[[steps]]
id = "end"
kind = "read"
title.en = "The end"
title.zh = "结束"
text.en = "Done."
text.zh = "完成。"
"""


@pytest.fixture()
def varied(tmp_path: Path) -> Any:
    path = tmp_path / "07b-double.toml"
    path.write_text(VARIED, encoding="utf-8")
    loaded, errors = load_lesson(path)
    assert loaded is not None, errors
    return loaded


def test_a_hard_coded_answer_fails_on_a_variant(varied: Any) -> None:
    out = _session(varied, ["y = 6", "y = 2 * n", "/quit"], start=("double", None))
    first, second = out.split(">>> y = 2 * n")
    assert "Not quite yet." in first and "✗   variant" in first
    said = " ".join(first.split())
    assert "hard-code numbers" in said and "I ran it again with n = 8" in said
    assert "Well done!" in second


def test_lesson_numbers_keep_their_letter(varied: Any) -> None:
    out = _session(varied, ["/goto 07b.3", "/quit"], start=("double", None))
    assert "lesson 7b · step 1/3" in out
    assert "lesson 7b · step 3/3" in out  # /goto takes the number as the learner sees it


def test_a_gpu_step_without_a_gpu_is_skipped_with_a_word(varied: Any) -> None:
    store = Store(None)
    out = _session(varied, ["z = n", "", "/quit"], store=store, start=("double", "on-gpu"))
    assert "needs a GPU and this machine has none" in out
    assert "Well done!" not in out  # not checked on a machine without a GPU
    assert "step 3/3" in out  # Enter went on
    assert store.get("double", "on-gpu").status == "skipped"


def test_an_error_is_not_followed_by_a_table_of_undefined_names(lesson: Any) -> None:
    out = _session(lesson, ["", "x = 2 * q", "/quit"])
    assert "NameError" in out
    assert "your code stopped at the error above" in out
    assert "✗   x.values" not in out


def test_a_right_answer_passes_after_a_try_that_rebound_a_given_name(varied: Any) -> None:
    """The answer, not the history: ``n = 4`` left behind does not fail ``y = 2 * n``."""
    out = _session(varied, ["n = 4", "y = 2 * n", "/quit"], start=("double", None))
    said = " ".join(out.split())
    assert "Well done!" in said
    assert "Your earlier try changed n; I ran your answer again from the start" in said


def test_a_right_line_that_raised_only_because_of_an_earlier_try_is_told_so(
    varied: Any,
) -> None:
    """The newcomer re-walk's N1: the live run raised (an earlier try had used up what the
    line needs), the run from the set-up passes. The remark says why the error above
    happened instead of blaming a changed value."""
    out = _session(varied, ["del n", "y = 2 * n", "/quit"], start=("double", None))
    said = " ".join(out.split())
    assert "NameError" in said and "Well done!" in said
    assert "Your line raised an error here only because of what an earlier try left behind" in said
    assert "there it runs without an error and passes" in said
    assert "Your earlier try changed" not in said


def test_a_wrong_answer_after_a_rebinding_is_judged_on_the_given_values(varied: Any) -> None:
    out = _session(varied, ["n = 4", "y = 3 * n", "/quit"], start=("double", None))
    said = " ".join(out.split())
    assert "Well done!" not in said
    assert "9" in said and "12" not in said  # 3 * 3 from the set-up, not 3 * 4
    assert "the verdict above is for your answer run again from the start" in said
    assert "/reset gives you the set-up's values back" in said


def test_a_bug_of_the_tutor_ends_one_input_not_the_session(
    lesson: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tutor.render import chat as render

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    real = render.verdict

    def broken(verdict: Any, lang: str, **kw: Any) -> Any:
        if not verdict.passed:
            raise TypeError("a rendering bug")
        return real(verdict, lang, **kw)

    monkeypatch.setattr(render, "verdict", broken)
    out = _session(lesson, ["", "x = 5", "x = 2 * 3", "/quit"])
    assert "The tutor itself failed on that input (TypeError: a rendering bug)" in out
    assert "Well done!" in out and "Bye!" in out
    assert "a rendering bug" in (tmp_path / "torch-tutor-error.log").read_text(encoding="utf-8")


def test_a_lesson_left_half_done_is_not_called_complete(lesson: Any, varied: Any) -> None:
    def run(inputs: list[str]) -> str:
        ui = ScriptUI(inputs, width=80)
        session = Session([lesson, varied], FakeSandbox(), Store(None), ui, "en")
        assert session.run("sums", "end") == 0
        return ui.transcript()

    assert "End of the lesson Sums: 0 of 2 exercises done" in run(["", "/quit"])
    done = run(["/goto sums.six", "x = 2 * 3", "2", "", "/quit"])
    assert "Lesson complete: Sums." in done


def test_the_progress_line_counts_this_lessons_exercises(lesson: Any, varied: Any) -> None:
    """Seen in the Chinese walk: "第 8 课 · 第 1/10 步 · 已完成 9 步" on the first step of a
    lesson, counting the whole course's passes beside this lesson's step count."""
    ui = ScriptUI(["", "x = 2 * 3", "2", "", "/quit"], width=80)
    session = Session([lesson, varied], FakeSandbox(), Store(None), ui, "zh")
    assert session.run("sums", None) == 0
    out = ui.transcript()
    assert "第 4 课 · 第 4/4 步 · 本课练习已完成 2/2" in out
    assert "本课完成：求和。" in out
    # The next lesson starts at nothing done, out of its own two exercises.
    assert "第 7b 课 · 第 1/3 步 · 本课练习已完成 0/2" in out


def test_lesson_end_counts_what_the_progress_line_counts(lesson: Any) -> None:
    store = Store(None)
    store.set_status("sums", "pick", "skipped")
    ui = ScriptUI(["/goto sums.end", "", "/quit"], width=80)
    session = Session([lesson, lesson], FakeSandbox(), store, ui, "en")
    assert session.run("sums", None) == 0
    out = ui.transcript()
    assert "0 of 2 exercises done" in out  # a skipped exercise is not a done one
    assert "End of the lesson Sums: 0 of 2 exercises done" in out


def test_the_end_of_the_last_lesson_says_what_was_finished(lesson: Any, varied: Any) -> None:
    """Reaching the last lesson's end with lessons left is not "finished the whole course"."""
    ui = ScriptUI(["", "/quit"], width=80)
    Session([lesson, varied], FakeSandbox(), Store(None), ui, "zh").run("double", "end")
    said = "".join(ui.transcript().split())
    assert "学完了整个课程" not in said and "整个课程你都学完了" not in said
    assert "这是课程的最后一课" in said and "2课中还有2课" in said
    ui = ScriptUI(["", "x = 2 * 3", "2", "", "/quit"], width=80)
    Session([lesson], FakeSandbox(), Store(None), ui, "en").run("sums", None)
    said = " ".join(ui.transcript().split())
    assert "Lesson complete: Sums." in said and "You have finished the course" in said


class NoGpuSandbox(FakeSandbox):
    """A sandbox asked for ``--device cuda`` on a machine without one: it fell back to the CPU."""

    requested_device = "cuda"

    def device_info(self) -> dict[str, Any]:
        return {"device": "cpu", "cuda": False, "mps": False, "device_error": "cuda: no driver"}

    def call(self, op: str, **kwargs: Any) -> Any:
        if op == "env":
            return {
                "python": "3",
                "torch": "fake",
                "device": "cpu",
                "requested_device": "cuda",
                "device_error": "cuda: AssertionError: Torch not compiled with CUDA enabled",
            }
        return super().call(op, **kwargs)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_device_that_cannot_be_used_is_named_at_start_and_in_env(lesson: Any, lang: str) -> None:
    ui = ScriptUI(["/env", "/quit"], width=100)
    Session([lesson], NoGpuSandbox(), Store(None), ui, lang).run("sums", None)
    said = " ".join(ui.transcript().split())
    if lang == "en":
        assert "You asked for --device cuda, but PyTorch sees no CUDA GPU on this machine" in said
        assert "cuda: not usable here, so the CPU runs your code" in said
    else:
        assert "你指定了 --device cuda，但PyTorch 在这台机器上找不到 CUDA GPU" in said
        assert "cuda：这里用不了" in said


def test_quit_exit_help_and_hint_without_a_slash_do_what_a_beginner_means(lesson: Any) -> None:
    out = _session(lesson, ["", "hint", "help", "exit()", "x = 1"])
    said = " ".join(out.split())
    assert "hint without a slash: doing /hint" in said and "hint 1 of 2" in said
    assert "help without a slash: doing /help" in said and "/solution" in said
    assert "exit() without a slash: doing /quit" in said and "Bye!" in said
    assert "NameError" not in said and ">>> x = 1" not in said  # the session had ended
    zh = " ".join(_session(lesson, ["quit"], "zh").split())
    assert "没有斜杠的 quit：按 /quit 处理" in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_quiz_answer_that_is_a_command_word_is_judged_as_an_answer(lang: str) -> None:
    """setup.env asks which command shows the report; `help` is its known wrong answer, with
    feedback of its own: judged, not run as /help."""
    setup, errors = load_lesson(ROOT / "lessons" / "00-setup.toml")
    assert setup is not None, errors
    ui = ScriptUI(["help", "/quit"], width=100)
    Session([setup], FakeSandbox(), Store(None), ui, lang).run("setup", "env")
    said = " ".join(ui.transcript().split())
    assert ("lists all commands" if lang == "en" else "会列出所有命令") in said
    assert "without a slash" not in said and "没有斜杠" not in said


def test_exploring_at_a_quiz_runs_and_is_not_graded(lesson: Any) -> None:
    out = _session(lesson, ["", "x = 2 * 3", "x", "len([1, 2])", "2", "/quit"])
    before_answer = out.split(">>> 2\n")[0].split(">>> x\n", 1)[1]
    assert "Not quite yet" not in before_answer and "answer" not in before_answer
    assert "Well done" in out.split(">>> 2\n")[1]


def test_reading_steps_count_as_done_so_a_finished_lesson_is_whole(lesson: Any) -> None:
    store = Store(None)
    out = _session(lesson, ["", "x = 2 * 3", "2", "", "/lessons", "/quit"], store=store)
    assert all(store.get("sums", s).status == "passed" for s in ("intro", "six", "pick", "end"))
    assert "2/2" in out  # /lessons counts the exercises, all done


def test_a_first_start_shows_the_course_map_and_how_to_skip(lesson: Any, varied: Any) -> None:
    ui = ScriptUI(["/quit"], width=100)
    Session([lesson, varied], FakeSandbox(), Store(None), ui, "en").run()
    said = " ".join(ui.transcript().split())
    assert "The course" in said and "Sums" in said and "Double" in said and "min" in said
    assert "/goto 7b skips the set-up" in said
    assert "press Enter to read on" in said  # the welcome fits a reading step too
    again = ScriptUI(["/quit"], width=100)
    Session([lesson, varied], FakeSandbox(), Store(None), again, "en").run("sums", None)
    assert "The course" not in again.transcript()  # not when a lesson was asked for
