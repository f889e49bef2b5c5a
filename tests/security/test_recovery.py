"""What needs no Landlock and must hold everywhere: zygote recovery, orphans, caps.

The harness itself stops or kills the zygote here (learner code may be refused
that by the kernel), so these run the same with Landlock and without.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from conftest import processes_with  # noqa: E402
from sandbox_helpers import make_sandbox  # noqa: E402

from tutor.sandbox._client import wait_gone  # noqa: E402


def test_a_stopped_zygote_is_replaced_and_the_learner_told(reaper: list[str]) -> None:
    sb = make_sandbox()
    try:
        assert sb.run("kept = 'yes'").outcome == "ok"
        zygote = sb.pids()[0]
        os.kill(zygote, signal.SIGSTOP)
        assert _until(lambda: _state(zygote) == "T")
        result = sb.run("print(kept)")
        assert result.outcome == "ok" and result.output == "yes\n", result
        assert result.restarted and "stopped" in result.note
        assert sb.pids()[0] != zygote
        assert wait_gone([zygote], 5)
    finally:
        sb.close()


def test_a_killed_zygote_leaves_no_detached_child(reaper: list[str]) -> None:
    reaper.append("sleep 3141")
    sb = make_sandbox()
    try:
        code = (
            "import subprocess\n"
            "subprocess.Popen(['sleep', '3141'], start_new_session=True)\n"
            "subprocess.Popen(['sh', '-c', 'setsid sleep 3141 & sleep 3141'])\n"
        )
        assert sb.run(code).outcome == "ok"
        assert _until(lambda: len(processes_with("sleep 3141")) >= 3)
        detached = processes_with("sleep 3141")
        zygote = sb.pids()[0]
        os.kill(zygote, signal.SIGKILL)
        assert wait_gone([zygote], 5)
        result = sb.run("print(1)")  # the replay starts the learner's sleeps again
        assert result.output == "1\n" and "killed" in result.note
        assert wait_gone(detached, 5), "a detached child outlived its zygote"
    finally:
        sb.close()


def test_orphans_die_when_the_worker_is_swapped(reaper: list[str]) -> None:
    reaper.append("sleep 3142")
    sb = make_sandbox()
    try:
        code = (
            "import os\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    os.execvp('sleep', ['sleep', '3142'])\n"
        )
        assert sb.run(code).outcome == "ok"
        assert _until(lambda: bool(processes_with("sleep 3142")))
        sb.new_namespace("")
        assert _gone("sleep 3142")
    finally:
        sb.close()


def test_a_fork_bomb_is_stopped_with_a_message() -> None:
    sb = make_sandbox(processes=16, timeout=20.0)
    try:
        code = (
            "import subprocess, time\n"
            "ps = []\n"
            "for _ in range(60):\n"
            "    ps.append(subprocess.Popen(['sleep', '3143']))\n"
            "    time.sleep(0.05)\n"
            "print('all started')\n"
        )
        result = sb.run(code)
        assert "all started" not in result.output
        assert result.outcome in ("killed", "error"), result
        assert _gone("sleep 3143")
        assert sb.run("print(2)").output == "2\n"
    finally:
        sb.close()


def test_the_work_folder_is_capped() -> None:
    sb = make_sandbox(disk_mb=16, timeout=30.0)
    try:
        code = (
            "import os, time\n"
            "for i in range(200):\n"
            "    with open(f'part{i}.bin', 'wb') as fh:\n"
            "        fh.write(b'x' * (1 << 20))\n"
            "    time.sleep(0.01)\n"
            "print('all written')\n"
        )
        result = sb.run(code)
        assert "all written" not in result.output
        assert result.outcome == "killed" and "16 MB" in result.error.message, result
        assert sb.run("import os; print(len(os.listdir('.')))").output == "0\n"
    finally:
        sb.close()


def test_one_file_is_capped_and_the_worker_lives() -> None:
    sb = make_sandbox(file_mb=4)
    try:
        result = sb.run("open('big.bin', 'wb').write(b'x' * (8 << 20))")
        assert result.outcome == "error" and "File too large" in result.error.message, result
        assert sb.run("print(3)").output == "3\n"
    finally:
        sb.close()


def _gone(marker: str) -> bool:
    return _until(lambda: not processes_with(marker))


def _until(condition, seconds: float = 10.0) -> bool:
    """Wait for ``condition`` (another process acting), polling; False after ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return ""
    return stat[stat.rfind(b")") + 2 :][:1].decode()
