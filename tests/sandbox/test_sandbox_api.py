"""The Sandbox API: output, tracebacks, seeds, helpers, snapshots, references, the judge."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from tutor.sandbox import ReferenceRun, Sandbox, SandboxError


def test_output_streams_live(sb: Sandbox) -> None:
    flag = Path(tempfile.mkdtemp()) / "seen"

    def on_output(text: str) -> None:
        if "first" in text:
            flag.touch()

    code = (
        "import os, time\nprint('first')\n"
        f"for _ in range(400):\n    if os.path.exists({str(flag)!r}): break\n"
        "    time.sleep(0.005)\n"
        f"print('second saw', os.path.exists({str(flag)!r}))"
    )
    result = sb.run(code, on_output=on_output)
    assert result.output == "first\nsecond saw True\n"


def test_stderr_and_warnings_are_shown(sb: Sandbox) -> None:
    code = (
        "import sys\nprint('oops', file=sys.stderr)\n"
        "a = torch.ones(2, requires_grad=True)\nb = a * 2\nb.grad"
    )
    result = sb.run(code)
    assert result.outcome == "ok"
    assert "oops" in result.output
    assert "UserWarning" in result.output
    assert "<input>:5" in result.output


def test_a_warning_repeated_in_a_loop_is_shown_once_from_its_line(sb: Sandbox) -> None:
    # A loop inside a function runs under the shape trace (the calling input has no loop):
    # its warning still comes from the learner's line, once, as Python's default filter says.
    sb.run(
        "def f(n):\n    out = None\n    for _ in range(n):\n"
        "        a = torch.ones(2, requires_grad=True)\n        out = (a * 2).grad\n    return out"
    )
    result = sb.run("f(5)")
    assert result.outcome == "ok"
    assert result.output.count("UserWarning") == 1, result.output
    assert "<input>:5" in result.output and "tutor" not in result.output
    # The learner's own filters still decide: an error filter makes the warning an error.
    result = sb.run(
        "import warnings\nwarnings.simplefilter('error')\n"
        "b = torch.ones(2, requires_grad=True) * 2\nb.grad"
    )
    assert result.outcome == "error" and result.error.type == "UserWarning"
    sb.run("warnings.simplefilter('ignore')")
    assert "UserWarning" not in sb.run("b.grad").output
    sb.run("warnings.resetwarnings()\nwarnings.simplefilter('default')")  # as the worker sets


def test_traceback_holds_learner_frames_only(sb: Sandbox) -> None:
    sb.run("def mul(a, b):\n    return a @ b")
    result = sb.run("x = torch.ones(2, 3)\nmul(x, x)")
    assert result.outcome == "error"
    assert result.error.type == "RuntimeError"
    trace = result.error.traceback
    assert 'File "<input>", line 2, in <module>' in trace
    assert "return a @ b" in trace  # the line from the earlier run, not this one
    assert "tutor" not in trace and "site-packages" not in trace


def test_syntax_error_names_the_input(sb: Sandbox) -> None:
    result = sb.run("x = (1,")
    assert result.outcome == "error"
    assert result.error.type == "SyntaxError"
    assert "<input>" in result.error.traceback


def test_filename_is_used_in_tracebacks(sb: Sandbox) -> None:
    result = sb.run("\n\nraise ValueError('bad')", filename="lesson.py")
    assert 'File "lesson.py", line 3' in result.error.traceback


def test_echo_shows_the_last_expression(sb: Sandbox) -> None:
    assert sb.run("1 + 1", echo=True).output == "2\n"
    assert sb.run("1 + 1").output == ""


def test_seed_makes_runs_repeatable(sb: Sandbox) -> None:
    first = sb.run("print(torch.rand(3).tolist())", seed=123).output
    second = sb.run("print(torch.rand(3).tolist())", seed=123).output
    assert first == second


def test_new_namespace_starts_clean(sb: Sandbox) -> None:
    sb.run("old_name = 1")
    result = sb.new_namespace("a = torch.arange(4)", seed=0)
    assert result.outcome == "ok"
    assert "NameError" in sb.run("old_name").error.type
    assert sb.run("print(a.tolist())").output == "[0, 1, 2, 3]\n"
    assert sb.run("print(device)").output == "cpu\n"


def test_learner_patching_builtins_does_not_break_the_worker(sb: Sandbox) -> None:
    sb.new_namespace("", seed=0)
    result = sb.run("import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = None")
    assert result.outcome == "ok"
    assert sb.call("vars") is not None
    assert sb.run("print(isinstance(1, str))").output == "True\n"
    sb.new_namespace("", seed=0)


def test_complete_inspect_vars_env(sb: Sandbox) -> None:
    sb.new_namespace("weights = torch.zeros(2, 3, requires_grad=True)", seed=0)
    assert "torch.arange" in sb.call("complete", text="torch.ara")
    assert "weights" in sb.call("complete", text="wei")
    assert "weights.shape" in sb.call("complete", text="weights.sha")
    info = sb.call("inspect", name="torch.arange")
    assert info["signature"].startswith("arange(")
    assert "Returns" in info["doc"]
    rows = {row["name"]: row for row in sb.call("vars")}
    assert rows["weights"]["shape"] == [2, 3]
    assert rows["weights"]["requires_grad"] is True
    assert sb.call("env")["torch"]


def test_complete_does_not_evaluate_properties(sb: Sandbox) -> None:
    sb.run(
        "class Trap:\n    @property\n    def boom(self):\n        print('EVALUATED')\n"
        "        return 1\ntrap = Trap()"
    )
    assert sb.call("complete", text="trap.bo") == ["trap.boom"]
    assert sb.call("complete", text="trap.boom.real") == []
    assert "EVALUATED" not in sb.run("print('done')").output


def test_complete_while_busy_answers_at_once(sb: Sandbox) -> None:
    started = threading.Event()
    worker = threading.Thread(
        target=lambda: sb.run(
            "print('go')\nimport time\ntime.sleep(1.5)", on_output=lambda _t: started.set()
        )
    )
    worker.start()
    assert started.wait(10)
    assert sb.call("complete", text="torch.ar") == []
    worker.join()


def test_snapshot_and_reference_and_judge(sb: Sandbox) -> None:
    sb.new_namespace("base = torch.arange(6.0)", seed=0)
    sb.run("y = base.reshape(3, 2)")  # wrong: the task asks for (2, 3)
    learner = sb.snapshot(["y"])
    assert not os.path.exists(learner)  # a token: the values exist in no file a worker could open
    ref = sb.reference("base = torch.arange(6.0)", "y = base.reshape(2, 3)\nprint('ref')", 0, ["y"])
    assert isinstance(ref, ReferenceRun)
    assert (ref.outcome, ref.output) == ("ok", "ref\n")
    with pytest.raises(FrozenInstanceError):
        ref.outcome = "x"  # type: ignore[misc]
    answer = sb.judge({"learner": learner, "reference": ref.snapshot_dir, "name": "y"})
    assert answer["passed"] is False
    assert answer["torch_pid"] not in (sb.worker_pid, os.getpid())


def test_tampering_in_the_worker_cannot_turn_a_wrong_answer_into_a_pass(sb: Sandbox) -> None:
    sb.new_namespace("", seed=0)
    tamper = (
        "import builtins, torch\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.equal = lambda *a, **k: True\n"
        "torch.testing.assert_close = lambda *a, **k: None\n"
        "torch.Tensor.__eq__ = lambda *a, **k: True\n"
        "builtins.isinstance = lambda *a: True\n"
        "builtins.print = lambda *a, **k: None\n"
        "y = torch.zeros(2, 3)\n"
    )
    assert sb.run(tamper).outcome == "ok"
    learner = sb.snapshot(["y"])
    ref = sb.reference("", "y = torch.ones(2, 3)", 0, ["y"])
    assert sb.judge({"learner": learner, "reference": ref.snapshot_dir, "name": "y"}) == {
        "passed": False,
        "torch_pid": pytest.approx(0, abs=10**9),
    }
    sb.new_namespace("", seed=0)


def test_reference_runs_in_a_fresh_worker(sb: Sandbox) -> None:
    sb.run("learner_only = 1")
    ref = sb.reference("", "print('learner_only' in globals())", None, [])
    assert ref.output == "False\n"
    failing = sb.reference("raise ValueError('setup broke')", "y = 1", None, ["y"])
    assert failing.outcome == "error" and failing.snapshot_dir is None


def test_judge_errors_are_reported(sb: Sandbox) -> None:
    with pytest.raises(SandboxError, match="asked to fail"):
        sb.judge({"op": "fail"})
    assert sb.judge({"op": "echo", "payload": [1, 2]})["echo"] == [1, 2]


def test_missing_snapshot_taker_is_an_error_not_a_hang() -> None:
    from sandbox_helpers import make_sandbox

    sb = make_sandbox(snapshot_taker="no_such_module_here:take")
    try:
        with pytest.raises(SandboxError, match="snapshot failed"):
            sb.snapshot(["x"])
        assert sb.run("print(1)").output == "1\n"
    finally:
        sb.close()


def test_ui_side_does_not_import_torch() -> None:
    import subprocess
    import sys

    from sandbox_helpers import child_env

    code = "import sys, tutor.sandbox; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), check=True
    ).stdout
    assert out.strip() == "False"


def test_start_does_not_wait_for_torch() -> None:
    sb = Sandbox(device="cpu")
    try:
        began = time.monotonic()
        sb.start()
        # Spawning is a fork+exec; importing torch takes far longer, in the zygote.
        assert not sb.is_ready() or time.monotonic() - began < 5
        assert sb.wait_ready(120)
    finally:
        sb.close()


def test_a_missing_gpu_falls_back_to_the_cpu_and_says_why() -> None:
    from sandbox_helpers import make_sandbox

    sb = make_sandbox(device="cuda")
    try:
        if sb.gpu_available:
            pytest.skip("this machine has a GPU")
        assert sb.run("print(device)").output == "cpu\n"
        info = sb.device_info()
        assert info["device"] == "cpu"
        assert info["device_error"]
    finally:
        sb.close()


def test_memory_budget_is_configurable() -> None:
    from sandbox_helpers import make_sandbox

    sb = make_sandbox(memory_mb=256)
    try:
        # 2 GB: over the 256 MB budget plus the headroom kept for torch itself
        result = sb.run("big = torch.ones(500_000_000)")
        assert result.outcome == "memory"
        assert "256 MB" in result.error.message
        assert sb.run("small = torch.ones(1_000_000)\nprint(small.sum().item())").output == (
            "1000000.0\n"
        )
    finally:
        sb.close()


def test_messages_follow_the_language(sb: Sandbox) -> None:
    sb.lang = "zh"
    try:
        result = sb.run("import os\nos._exit(4)")
        assert result.outcome == "exited"
        assert "退出码 4" in result.error.message
        assert "没有丢失" in result.note
    finally:
        sb.lang = "en"


def test_graph_helper_describes_a_tensor(sb: Sandbox) -> None:
    sb.run("a = torch.ones(2, requires_grad=True)\nb = (a * 3).sum()")
    answer = sb.call("graph", name="b")
    assert answer is not None
    with pytest.raises(SandboxError):
        sb.call("no-such-helper")
