"""No process of the sandbox outlives it; the UI never imports torch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sandbox_helpers import STUB, child_env, make_sandbox

from tutor.sandbox._client import wait_gone

_SCRIPT = textwrap.dedent(
    f"""
    import sys
    from tutor.sandbox import Sandbox
    sb = Sandbox(device="cpu", judge_handler={STUB!r})
    sb.start()
    assert sb.wait_ready(120)
    r = sb.run("import subprocess; p = subprocess.Popen(['sleep', '1000']); print(p.pid)")
    sb.judge({{"op": "echo", "payload": 1}})
    assert "torch" not in sys.modules, "the UI imported torch"
    print(" ".join(map(str, sb.pids() + [int(r.output)])), flush=True)
    if sys.argv[1] == "hang":
        import time
        time.sleep(1000)
    """
)


def _run_ui(mode: str) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, mode], stdout=subprocess.PIPE, text=True, env=child_env()
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    pids = [int(p) for p in line.split()]
    assert len(pids) >= 4, line
    return proc, pids


def test_close_leaves_no_process_behind() -> None:
    sb = make_sandbox()
    result = sb.run("import subprocess\np = subprocess.Popen(['sleep', '1000'])\nprint(p.pid)")
    sb.judge({"op": "echo", "payload": 1})
    pids = sb.pids() + [int(result.output)]
    assert len(pids) >= 5  # zygote, worker, spare, judge, the learner's sleep
    sb.close()
    assert wait_gone(pids, 5)


def test_interpreter_exit_leaves_no_process_behind() -> None:
    proc, pids = _run_ui("exit")
    assert proc.wait(30) == 0
    proc.stdout.close()  # type: ignore[union-attr]
    assert wait_gone(pids, 5)


def test_ui_killed_with_sigkill_takes_the_sandbox_down() -> None:
    proc, pids = _run_ui("hang")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()  # type: ignore[union-attr]
    assert wait_gone(pids[1:], 10)


def test_zygote_is_pristine_and_cuda_untouched() -> None:
    sb = make_sandbox()
    try:
        info = sb.zygote_info()
        assert info["problems"] == []
        assert info["warnings"] == []  # one thread: no tensor op ran before fork
        assert sb.device_info()["device"] == "cpu"
        assert set(sb.device_info()) >= {"device", "cuda_available", "gpu_name", "torch", "python"}
    finally:
        sb.close()


def test_a_dead_zygote_is_restarted_and_the_work_replayed() -> None:
    sb = make_sandbox()
    try:
        sb.run("kept = 'yes'")
        zygote_pid = sb.pids()[0]
        os.kill(zygote_pid, signal.SIGKILL)
        assert wait_gone([zygote_pid], 5)
        result = sb.run("print(kept)")
        assert result.outcome == "ok", result
        assert result.output == "yes\n"
        assert result.restarted
    finally:
        sb.close()


def test_a_terminal_ctrl_c_does_not_reach_the_zygote() -> None:
    # A Ctrl-C typed at the terminal goes to the whole foreground process
    # group, the zygote included; it must survive and keep forking.
    sb = make_sandbox()
    try:
        sb.run("x = 1")
        zygote_pid = sb.pids()[0]
        os.kill(zygote_pid, signal.SIGINT)
        assert not wait_gone([zygote_pid], 1)
        assert sb.new_namespace("y = 2").outcome == "ok"
        assert sb.run("print(y)").output == "2\n"
        assert sb.pids()[0] == zygote_pid
    finally:
        sb.close()
