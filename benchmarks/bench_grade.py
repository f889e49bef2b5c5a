"""Batch grading: 30 submissions with ``grade`` against 30 cold ``check`` runs.

A class's answers to one step (``shapes broadcast-fix``, which has a
variant): 10 right, 17 wrong in different ways (wrong values, errors PyTorch
explains and errors it does not, a hard-coded answer that fails the variant, a
crash, an early exit), 3 that never finish. Baseline, measured in the same run:
``python -m tutor check`` once per file, one after another, as a hand-written
loop does. Then ``python -m tutor grade`` on the folder (one process, one warm
sandbox, several at once). Both are timed from the command line, Python start-up
included; time spent at the time limit is taken out of both (cold: the limit once
per slow file; grade: once per round of ``jobs`` slow files running side by side).
Target: grade <= 0.15 x the cold checks. The verdicts must agree file by file.

    python benchmarks/bench_grade.py [--timeout S] [--cold N] [--jobs N] [--json]

``--cold N`` runs only N of the 30 cold checks (evenly spread over the kinds of
answer) and scales their time up; the default runs all 30.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON, STEP = "shapes", "broadcast-fix"

RIGHT = [
    "out = m + r.unsqueeze(1)",
    "out = m + r.view(3, 1)",
    "out = m + r[:, None]",
    "out = m + r.reshape(-1, 1)",
    "out = (m.T + r).T",
    "out = m + r.unsqueeze(-1)",
    "out = torch.add(m, r.unsqueeze(1))",
    "out = m.clone()\nout += r.unsqueeze(1)",
    "col = r.view(-1, 1)\nout = m + col",
    "out = r.unsqueeze(1) + m",
]
WRONG = [
    "out = m + r",
    "out = m + r.unsqueeze(0)",
    "out = m.T + r",
    "out = torch.tensor([[11.0, 12.0], [23.0, 24.0], [35.0, 36.0]])",
    "out = m * r.unsqueeze(1)",
    "out = m - r.unsqueeze(1)",
    "out = m + r.sum()",
    "out = m + 10",
    "out = mm + r.unsqueeze(1)",
    "out = m + r.unsqueeze(2)",
    "out = m @ r",
    "out = m + r.view(1, 3)",
    "out = (m + r.unsqueeze(1)).sum(1)",
    "out = (m + r.unsqueeze(1)).T",
    "result = m + r.unsqueeze(1)",
    "import os\nos._exit(1)",
    "import ctypes\nctypes.string_at(0)",
]
SLOW = [
    "while True:\n    pass",
    "import time\ntime.sleep(1000)",
    "x = 0\nwhile x >= 0:\n    x += 1",
]


def write_class(folder: Path) -> list[Path]:
    """The 30 answer files, named by kind so the report reads."""
    files = []
    for kind, codes in (("right", RIGHT), ("wrong", WRONG), ("slow", SLOW)):
        for i, code in enumerate(codes, 1):
            path = folder / f"{kind}-{i:02}.py"
            path.write_text(code + "\n", encoding="utf-8")
            files.append(path)
    return files


def _env() -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("TUTOR_HOME", None)
    return env


def tutor(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tutor", *args, "--lang", "en"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=3600,
    )
    return time.perf_counter() - began, done


def cold_checks(files: list[Path], timeout: float, count: int) -> tuple[float, dict[str, bool]]:
    """Time ``check`` on ``count`` of the files (spread evenly): the seconds, scaled to all
    the files (time at the limit counted as it would be for all), and each verdict."""
    step = len(files) / count
    chosen = [files[min(len(files) - 1, math.floor(i * step))] for i in range(count)]
    fast, slow, verdicts = [], [], {}
    for path in chosen:
        seconds, done = tutor("check", LESSON, STEP, str(path), "--json", "--timeout", str(timeout))
        if done.returncode not in (0, 1):
            raise SystemExit(f"check failed on {path.name}: {done.stderr[-2000:]}")
        verdicts[path.name] = json.loads(done.stdout)["passed"]
        (slow if path.name.startswith("slow") else fast).append(seconds)
    n_slow = sum(f.name.startswith("slow") for f in files)
    per_fast = sum(fast) / len(fast)
    per_slow = sum(slow) / len(slow) if slow else per_fast + timeout
    return per_fast * (len(files) - n_slow) + per_slow * n_slow, verdicts


def graded(folder: Path, timeout: float, jobs: int) -> tuple[float, dict[str, bool], dict]:
    seconds, done = tutor(
        "grade", LESSON, STEP, str(folder), "--json", "--timeout", str(timeout), "--jobs", str(jobs)
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"grade failed: {done.stderr[-3000:]}")
    report = json.loads(done.stdout)
    verdicts = {Path(r["file"]).name: r["passed"] for r in report["submissions"]}
    return seconds, verdicts, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0, help="the time limit (s)")
    parser.add_argument("--cold", type=int, default=30, help="cold checks to time (<= 30)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        files = write_class(folder)
        grade_s, grade_verdicts, report = graded(folder, args.timeout, args.jobs)
        cold_s, cold_verdicts = cold_checks(files, args.timeout, min(args.cold, 30))
    n_slow = len(SLOW)
    cold_limit = args.timeout * n_slow  # each slow file runs to the limit once, alone
    grade_limit = args.timeout * math.ceil(n_slow / max(1, min(args.jobs, len(files))))
    agree = sum(grade_verdicts[name] == passed for name, passed in cold_verdicts.items())
    rows = {
        "submissions": len(files),
        "  right / wrong / slow": f"{len(RIGHT)} / {len(WRONG)} / {n_slow}",
        "time limit (s)": args.timeout,
        "jobs (grade)": report["jobs"],
        "baseline: 30 cold `check` runs (s)": round(cold_s, 2),
        "  cold checks actually timed": min(args.cold, 30),
        "  cold, minus time at the limit (s)": round(cold_s - cold_limit, 2),
        "`grade` of the folder (s)": round(grade_s, 2),
        "  grade, minus time at the limit (s)": round(grade_s - grade_limit, 2),
        "ratio grade / cold, limit excluded (target <= 0.15)": round(
            (grade_s - grade_limit) / (cold_s - cold_limit), 3
        ),
        "ratio grade / cold, as measured": round(grade_s / cold_s, 3),
        "passed (grade)": f"{report['passed']} of {report['total']}",
        "verdicts that agree with check": f"{agree} of {len(cold_verdicts)}",
        "failures with a feedback id": (
            f"{sum(bool(r['feedback_ids']) for r in report['submissions'] if not r['passed'])}"
            f" of {sum(not r['passed'] for r in report['submissions'])}"
        ),
    }
    if args.json:
        print(json.dumps({k.strip(): v for k, v in rows.items()}, indent=2))
    else:
        width = max(len(k) for k in rows)
        for key, value in rows.items():
            print(f"{key:<{width}}  {value}")
    return 0 if agree == len(cold_verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
