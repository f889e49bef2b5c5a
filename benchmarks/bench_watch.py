"""Watch mode: how long from saving a file to seeing its verdict.

Baseline, measured in the same run: what a runner that starts a fresh Python per
check pays (a cold ``python -c`` that imports torch, runs the answer and
compares it). Target here: save -> verdict <= 300 ms.

    python benchmarks/bench_watch.py [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor.course import load_course
from tutor.sandbox import Sandbox
from tutor.session.watch import Watcher

LESSONS = ROOT / "tests" / "watch_lessons"
WRONG, RIGHT = "x = torch.ones(2, 3)\n", "x = torch.zeros(2, 3)\n"
COLD = (
    "import sys, torch; ns = {'torch': torch}; exec(open(sys.argv[1]).read(), ns); "
    "torch.testing.assert_close(ns['x'], torch.zeros(2, 3))"
)


def cold_check(path: Path) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD, str(path)], capture_output=True, check=True)
    return time.perf_counter() - began


def save_to_verdict(rounds: int) -> tuple[list[float], list[float], list[float]]:
    lessons, _ = load_course([LESSONS])
    lesson = next(x for x in lessons if x.id == "watch-demo")
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        sandbox.start()
        sandbox.wait_ready()
        path = Path(tmp) / "answer.py"
        path.write_text("", encoding="utf-8")
        watcher = Watcher(sandbox, lesson, "zeros", path)
        outcomes: queue.Queue = queue.Queue()
        stop = threading.Event()
        thread = threading.Thread(target=watcher.loop, args=(stop, outcomes.put), daemon=True)
        thread.start()
        time.sleep(0.5)  # let the watcher subscribe
        latencies, checks = [], []
        for i in range(rounds):
            # Alternate wrong answers so every save is a new text and never passes.
            began = time.perf_counter()
            path.write_text(WRONG + f"# {i}\n", encoding="utf-8")
            outcome = outcomes.get(timeout=30)
            latencies.append(time.perf_counter() - began)
            checks.append(outcome.seconds)
        stop.set()
        cold = []
        path.write_text(RIGHT, encoding="utf-8")
        for _ in range(max(3, rounds // 4)):
            cold.append(cold_check(path))
        return latencies, checks, cold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    latencies, checks, cold = save_to_verdict(args.rounds)
    rows = {
        "baseline: cold python per check (ms)": statistics.median(cold) * 1000,
        "save -> verdict (ms)": statistics.median(latencies) * 1000,
        "  of which the check itself (ms)": statistics.median(checks) * 1000,
        "target save -> verdict (ms)": 300.0,
    }
    if args.json:
        print(json.dumps({k.strip(): round(v, 1) for k, v in rows.items()}, indent=2))
    else:
        width = max(len(k) for k in rows)
        for key, value in rows.items():
            print(f"{key:<{width}}  {value:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
