"""Every fault learner code can cause ends in a clear outcome and a usable worker."""

from __future__ import annotations

import os
import signal
import threading
import time

from sandbox_helpers import make_sandbox

from tutor.sandbox import Sandbox
from tutor.sandbox._client import wait_gone


def usable(sb: Sandbox) -> None:
    result = sb.run("x_after = 1\nprint(x_after)")
    assert result.outcome == "ok", result
    assert result.output == "1\n"


def test_runaway_loop_times_out_and_keeps_the_namespace(sb: Sandbox) -> None:
    sb.run("kept = 41")
    result = sb.run("while True:\n    pass")
    assert result.outcome == "timeout"
    assert "time limit" in result.error.message
    assert not result.restarted
    assert sb.run("print(kept + 1)").output == "42\n"
    usable(sb)


def test_loop_that_swallows_the_interrupt_is_killed_and_replayed(sb: Sandbox) -> None:
    sb.run("survivor = [1, 2, 3]")
    code = (
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except KeyboardInterrupt:\n        pass"
    )
    result = sb.run(code)
    assert result.outcome == "timeout"
    assert result.restarted
    assert "nothing was lost" in result.note
    assert sb.run("print(survivor)").output == "[1, 2, 3]\n"
    usable(sb)


def test_sleep_interrupted_from_another_thread_keeps_the_namespace(sb: Sandbox) -> None:
    sb.run("before_sleep = 'here'")
    timer = threading.Timer(0.3, sb.interrupt)

    def start_timer(text: str) -> None:
        if "sleeping" in text:
            timer.start()

    result = sb.run("print('sleeping')\nimport time\ntime.sleep(100)", on_output=start_timer)
    timer.join()
    assert result.outcome == "interrupted"
    assert not result.restarted
    assert "time.sleep(100)" in result.error.traceback
    assert sb.run("print(before_sleep)").output == "here\n"


def test_ctrl_c_in_the_ui_thread_interrupts_the_worker(sb: Sandbox) -> None:
    sb.run("ctrl_c_kept = 7")

    def press_ctrl_c(text: str) -> None:
        if "waiting" in text:
            os.kill(os.getpid(), signal.SIGINT)

    result = sb.run("print('waiting')\nimport time\ntime.sleep(100)", on_output=press_ctrl_c)
    assert result.outcome == "interrupted"
    assert "Ctrl-C" in result.error.message
    assert sb.run("print(ctrl_c_kept)").output == "7\n"


def test_tensor_bomb_is_a_memory_outcome(sb: Sandbox) -> None:
    result = sb.run("big = torch.zeros(10**11)")
    assert result.outcome == "memory"
    assert "memory" in result.error.message.lower()
    assert "GB" in result.error.message
    usable(sb)


def test_list_bomb_is_a_memory_outcome(sb: Sandbox) -> None:
    result = sb.run("big = [0] * 10**10")
    assert result.outcome == "memory"
    assert "memory" in result.error.message.lower()
    usable(sb)


def test_ordinary_work_fits_under_the_memory_limit(sb: Sandbox) -> None:
    result = sb.run("m = torch.randn(1000, 1000) @ torch.randn(1000, 1000)\nprint(m.shape)")
    assert result.outcome == "ok", result
    assert "torch.Size([1000, 1000])" in result.output


def test_segfault_is_a_crash_and_the_work_is_replayed(sb: Sandbox) -> None:
    sb.run("before_crash = torch.arange(3)")
    result = sb.run("import ctypes\nctypes.string_at(0)")
    assert result.outcome == "crashed"
    assert "segmentation fault" in result.error.message
    assert result.restarted
    assert sb.run("print(before_crash.tolist())").output == "[0, 1, 2]\n"


def test_abort_is_a_crash(sb: Sandbox) -> None:
    result = sb.run("import os\nos.abort()")
    assert result.outcome == "crashed"
    assert "abort" in result.error.message
    usable(sb)


def test_os_exit_names_the_exit_code(sb: Sandbox) -> None:
    result = sb.run("import os\nos._exit(3)")
    assert result.outcome == "exited"
    assert "code 3" in result.error.message
    assert result.restarted
    usable(sb)


def test_sys_exit_is_caught_in_the_worker(sb: Sandbox) -> None:
    sb.run("still_here = True")
    result = sb.run("import sys\nsys.exit(2)")
    assert result.outcome == "exited"
    assert "code 2" in result.error.message
    assert not result.restarted
    assert sb.run("raise SystemExit").outcome == "exited"
    assert sb.run("print(still_here)").output == "True\n"


def test_learner_raising_keyboard_interrupt(sb: Sandbox) -> None:
    result = sb.run("raise KeyboardInterrupt")
    assert result.outcome == "interrupted"
    usable(sb)


def test_killed_worker_says_so_and_replays(sb: Sandbox) -> None:
    sb.run("weights = torch.ones(2)")
    pid = sb.worker_pid
    assert pid is not None

    def kill_when_started(text: str) -> None:
        if "started" in text:
            os.kill(pid, signal.SIGKILL)

    result = sb.run("print('started')\nimport time\ntime.sleep(100)", on_output=kill_when_started)
    assert result.outcome == "killed"
    assert "killed" in result.error.message
    assert result.restarted
    assert sb.worker_pid != pid
    assert sb.run("print(weights.sum().item())").output == "2.0\n"


def test_worker_killed_while_idle_is_replaced_before_the_next_run(sb: Sandbox) -> None:
    sb.run("idle_value = 5")
    pid = sb.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_gone([pid], 5)
    time.sleep(0.2)  # let the zygote report the death; either order must work
    result = sb.run("print(idle_value)")
    assert result.outcome == "ok"
    assert result.output == "5\n"


def test_learner_child_processes_die_with_the_worker(sb: Sandbox) -> None:
    result = sb.run(
        "import subprocess\np = subprocess.Popen(['sleep', '1000'])\nprint(p.pid)", record=False
    )
    child = int(result.output)
    assert not wait_gone([child], 0.1)
    result = sb.run("import os\nos._exit(0)")
    assert result.outcome == "exited"
    assert wait_gone([child], 5)
    usable(sb)


def test_timeout_kill_also_kills_learner_children(sb: Sandbox) -> None:
    code = (
        "import subprocess, signal\n"
        "p = subprocess.Popen(['sleep', '1000'])\n"
        "print(p.pid, flush=True)\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "while True:\n    pass\n"
    )
    result = sb.run(code)
    assert result.outcome == "timeout"
    assert result.restarted
    assert wait_gone([int(result.output.split()[0])], 5)
    usable(sb)


def test_huge_print_is_cut_with_a_note(sb: Sandbox) -> None:
    seen: list[str] = []
    result = sb.run("for i in range(100000):\n    print(i)", on_output=seen.append)
    assert result.outcome == "ok"
    assert "output cut" in result.output
    assert result.output.count("\n") <= 2002
    assert "".join(seen) == result.output
    usable(sb)


def test_deep_recursion_is_reported_as_such(sb: Sandbox) -> None:
    result = sb.run("def down(n):\n    return down(n + 1)\ndown(0)")
    assert result.outcome == "error"
    assert result.error.type == "RecursionError"
    assert "repeated" in result.error.traceback
    usable(sb)


def test_learner_fork_does_not_confuse_the_worker(sb: Sandbox) -> None:
    result = sb.run(
        "import os, time\npid = os.fork()\nif pid:\n    os.waitpid(pid, 0)\nprint('fork', pid == 0)"
    )
    assert result.outcome == "ok"
    assert sorted(result.output.splitlines()) == ["fork False", "fork True"]
    usable(sb)


def test_closing_stdout_does_not_break_the_protocol(sb: Sandbox) -> None:
    result = sb.run("import os\nos.close(1)")
    assert result.outcome == "ok"
    assert sb.run("import sys\nprint('err', file=sys.stderr)").output == "err\n"
    sb.new_namespace("", None)
    usable(sb)


def test_huge_exception_message_is_clipped(sb: Sandbox) -> None:
    result = sb.run("raise ValueError('x' * 10_000_000)")
    assert result.outcome == "error"
    assert "characters cut" in result.error.message
    usable(sb)


def test_second_interrupt_kills_without_waiting_for_the_grace() -> None:
    sandbox = make_sandbox(grace=60.0, timeout=120.0)
    try:
        sandbox.run("kept = 3")
        code = (
            "while True:\n"
            "    try:\n"
            "        print('go', flush=True)\n"
            "        while True:\n"
            "            pass\n"
            "    except KeyboardInterrupt:\n"
            "        print('swallowed', flush=True)\n"
        )

        def press(text: str) -> None:
            if "go" in text or "swallowed" in text:
                sandbox.interrupt()

        result = sandbox.run(code, on_output=press)
        assert result.outcome == "interrupted"
        assert result.restarted
        assert sandbox.run("print(kept)").output == "3\n"
    finally:
        sandbox.close()


def test_replaced_stdout_is_given_back_for_the_next_input(sb: Sandbox) -> None:
    assert sb.run("import sys\nsys.stdout = None\nprint('lost')").outcome == "ok"
    usable(sb)
