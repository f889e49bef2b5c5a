"""Several trials at once in one sandbox (batch grading), and a sandbox started from a thread."""

from __future__ import annotations

import threading
from typing import Any

from sandbox_helpers import make_sandbox

from tutor.sandbox import Sandbox


def test_trials_run_side_by_side_each_in_a_worker_of_its_own() -> None:
    sb = make_sandbox(timeout=120.0)
    try:
        sb.prefork(3)
        slow: dict[str, Any] = {}

        def long_trial() -> None:
            slow["run"] = sb.trial("", "import time\ntime.sleep(90)\ny = 1", None, ["y"])

        thread = threading.Thread(target=long_trial, daemon=True)
        thread.start()
        ref = sb.reference("", "y = torch.ones(2)", 0, ["y"])
        # While the long one sleeps, others start, finish and are judged beside it.
        pids = set()
        for value in ("torch.ones(2)", "torch.zeros(2)"):
            mine = sb.trial("", f"import os\nprint(os.getpid())\ny = {value}", 0, ["y"])
            assert mine.outcome == "ok", mine
            pids.add(int(mine.output))
            answer = sb.judge(
                {"learner": mine.snapshot_dir, "reference": ref.snapshot_dir, "name": "y"}
            )
            assert answer["passed"] is (value == "torch.ones(2)")
            sb.discard(mine.snapshot_dir)  # type: ignore[arg-type]
            assert thread.is_alive(), "the first trial should still be sleeping"
        assert len(pids) == 2 and sb.worker_pid not in pids
    finally:
        sb.close()
    thread.join(30)
    assert slow["run"].outcome != "ok"  # closed under it


def test_many_threads_judge_at_once() -> None:
    sb = make_sandbox()
    try:
        sb.prefork(4)
        ref = sb.reference("", "y = torch.arange(3.0)", 0, ["y"])
        results: dict[int, bool] = {}

        def check(i: int) -> None:
            mine = sb.trial("", f"y = torch.arange(3.0) * {1 if i % 2 else 2}", 0, ["y"])
            request = {"learner": mine.snapshot_dir, "reference": ref.snapshot_dir, "name": "y"}
            results[i] = sb.judge(request)["passed"]
            sb.discard(mine.snapshot_dir)  # type: ignore[arg-type]

        threads = [threading.Thread(target=check, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert results == {i: bool(i % 2) for i in range(8)}
    finally:
        sb.close()


def test_a_sandbox_started_from_a_thread_that_ends_keeps_working() -> None:
    """The zygote's parent-death signal follows the thread that spawned it: a grading
    thread that started (or restarted) the sandbox must not take it down when it ends."""
    sb = Sandbox(device="cpu", timeout=5.0)
    try:
        # The thread lives until the sandbox is up (as a grading thread does), then ends.
        starter = threading.Thread(target=lambda: sb.wait_ready(120))
        starter.start()
        starter.join()
        assert sb.run("print(6 * 7)").output == "42\n"
    finally:
        sb.close()
