"""Measure the sandbox against a cold ``import torch``: start-up, forks, resets, checks.

Run by hand (not a pytest test):

    .venv/bin/python benchmarks/bench_sandbox.py            # a table
    .venv/bin/python benchmarks/bench_sandbox.py --json     # JSON
    .venv/bin/python benchmarks/bench_sandbox.py --device cuda

Each figure is a median in milliseconds. "submit -> verdict overhead" is the
time of a whole check (run + snapshot + judge, the reference cached as the
pipeline caches it) minus the learner code's own run time inside the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor.sandbox import Sandbox
from tutor.sandbox._channel import WorkerHandle
from tutor.sandbox._client import wait_gone

SETUP = "base = torch.arange(12.0)"
ANSWER = "y = base.reshape(3, 4) * 2"
SOLUTION = "y = base.reshape(3, 4) * 2"
STEP = {"check": ["y"]}
TAMPER = (
    "import builtins\n"
    "torch.allclose = lambda *a, **k: True\n"
    "torch.testing.assert_close = lambda *a, **k: None\n"
    "torch.Tensor.__eq__ = lambda *a, **k: True\n"
    "builtins.isinstance = lambda *a: True\n"
    "y = base.reshape(4, 3)\n"
)


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        out.append(time.perf_counter() - began)
    return out


def cold_import(repeat: int) -> list[float]:
    cmd = [sys.executable, "-c", "import torch"]
    return timed(lambda: subprocess.run(cmd, check=True), repeat)


def zygote_ready(device: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        sb = Sandbox(device=device)
        began = time.perf_counter()
        sb.start()
        assert sb.zygote_info()
        samples.append(time.perf_counter() - began)
        sb.close()
    return samples


def fork_ready(sb: Sandbox, repeat: int) -> list[float]:
    zygote = sb._pool.zygote
    assert zygote is not None
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        req = sb._pool._fork("worker")
        got = zygote.take(req, 30)
        assert got is not None
        handle = WorkerHandle(zygote, got[0], got[1], "worker", sb._pool.limits)
        assert handle.wait_ready(30)
        samples.append(time.perf_counter() - began)
        handle.close()
        time.sleep(0.05)  # let the spare be ready again, as between a learner's inputs
    return samples


def confinement_cost(sb: Sandbox, repeat: int) -> list[float]:
    """What confining a fresh worker took, as the worker measured it (fork to ready)."""
    zygote = sb._pool.zygote
    assert zygote is not None
    samples = []
    for _ in range(repeat):
        got = zygote.take(sb._pool._fork("worker"), 30)
        assert got is not None
        handle = WorkerHandle(zygote, got[0], got[1], "worker", sb._pool.limits)
        assert handle.wait_ready(30) and handle.ready is not None
        samples.append(float(handle.ready["protections"]["cost_ms"]) / 1000)
        handle.close()
    return samples


def reset_after_kill(sb: Sandbox, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        sb.new_namespace(SETUP, 0)
        time.sleep(0.3)  # a learner's pause: the spare is forked and ready
        pid = sb.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_gone([pid], 5)
        time.sleep(0.05)
        began = time.perf_counter()
        result = sb.run("pass")
        samples.append(time.perf_counter() - began)
        assert result.restarted and result.outcome == "ok", result
    return samples


def new_namespace(sb: Sandbox, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        time.sleep(0.3)
        began = time.perf_counter()
        sb.new_namespace(SETUP, 0)
        samples.append(time.perf_counter() - began)
    return samples


def check_overhead(sb: Sandbox, repeat: int, answer: str) -> list[float]:
    ref = sb.reference(SETUP, SOLUTION, 0, ["y"])
    samples = []
    for _ in range(repeat):
        sb.new_namespace(SETUP, 0)
        began = time.perf_counter()
        run = sb.run(answer, seed=0)
        learner = sb.snapshot(["y"])
        verdict = sb.judge(
            {
                "lang": "en",
                "step": STEP,
                "learner": learner,
                "reference": ref.snapshot_dir,
                "learner_run": run.to_json(),
                "reference_run": ref.to_json(),
                "code": answer,
            }
        )
        total = time.perf_counter() - began
        samples.append(total - run.duration)
        sb.discard(learner)
        expected = answer == ANSWER
        assert verdict.get("passed") is expected, verdict
    return samples


def big_tensor_check(sb: Sandbox, repeat: int) -> tuple[list[float], list[float], list[float]]:
    """Time a check of a 10M-element tensor: (total, snapshot in the worker, judge)."""
    setup = "base = torch.arange(10_000_000, dtype=torch.float32)"
    ref = sb.reference(setup, "y = base * 2", 0, ["y"])
    sb.new_namespace(setup, 0)
    run = sb.run("y = base * 2")
    total, snap, judge = [], [], []
    for _ in range(repeat):
        began = time.perf_counter()
        learner = sb.snapshot(["y"])
        saved = time.perf_counter()
        verdict = sb.judge(
            {
                "lang": "en",
                "step": STEP,
                "learner": learner,
                "reference": ref.snapshot_dir,
                "learner_run": run.to_json(),
                "reference_run": ref.to_json(),
                "code": "y = base * 2",
            }
        )
        done = time.perf_counter()
        total.append(done - began)
        snap.append(saved - began)
        judge.append(done - saved)
        sb.discard(learner)
        assert verdict.get("passed") is True, verdict
    return total, snap, judge


def run_all(device: str, quick: bool) -> dict[str, dict[str, float]]:
    n = 3 if quick else 10
    rows: dict[str, list[float]] = {}
    rows["cold `python -c 'import torch'` (baseline)"] = cold_import(3)
    rows["zygote ready (spawn + import torch)"] = zygote_ready(device, 3)
    sb = Sandbox(device=device, timeout=30)
    sb.start()
    assert sb.wait_ready(120)
    try:
        sb.run("pass")
        rows["fork -> worker ready"] = fork_ready(sb, n * 2)
        rows["  of which: applying confinement (Landlock, limits)"] = confinement_cost(sb, n * 2)
        rows["new_namespace (swap in the spare)"] = new_namespace(sb, n)
        rows["reset after a kill (recover + replay setup)"] = reset_after_kill(sb, n)
        rows["submit -> verdict overhead (typical step)"] = check_overhead(sb, n, ANSWER)
        rows["tamper-proof check (patched torch/builtins)"] = check_overhead(sb, n, TAMPER)
        total, snap, judge = big_tensor_check(sb, n)
        rows["check of a 10M-element tensor (snapshot + judge)"] = total
        rows["  of which: snapshot in the worker"] = snap
        rows["  of which: judge (tutor.judge.handler)"] = judge
        info = sb.device_info()
    finally:
        sb.close()
    return {
        "device": info,
        "median_ms": {k: median_ms(v) for k, v in rows.items()},  # type: ignore[dict-item]
        "samples": {k: len(v) for k, v in rows.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N, mps")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    report = run_all(args.device, args.quick)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    info = report["device"]
    print(
        f"device {info['device']}  torch {info['torch']}  python {info['python']}  "
        f"gpu {info['gpu_name']}  cores {os.cpu_count()}"
    )
    width = max(len(k) for k in report["median_ms"])
    print(f"{'measure':<{width}}  median ms")
    for key, value in report["median_ms"].items():
        print(f"{key:<{width}}  {value:>9.2f}")


if __name__ == "__main__":
    main()
