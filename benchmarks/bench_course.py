"""Verdict latency of every code step of the course, against the learner code's own run time.

Run by hand (not a pytest test):

    .venv/bin/python benchmarks/bench_course.py                  # every code step, a table
    .venv/bin/python benchmarks/bench_course.py --lesson digits  # one lesson
    .venv/bin/python benchmarks/bench_course.py --json           # JSON

For each code step (GPU steps are skipped without a GPU), in one warm sandbox:

- ``run``: the reference solution typed at the prompt, from Enter to the end of its run
  (after the set-up): the learner code's own time, the baseline of its row;
- ``verdict``: the same input from Enter to its verdict, as the REPL does it
  (``sb.run`` then ``pipeline.judge_at_prompt``), with the step's references computed
  ahead (``pipeline.prepare``, what the REPL starts while the learner reads) and the
  answer's variant runs started beside its live run (``pipeline.speculate``);
- ``cold``: the same with nothing computed ahead (the reference and the variants' references
  on the critical path: what the prompt did before).

Each row is the median of ``--reps`` tries. The summary gives the median, p90 and max over
the steps, and how many meet the target: ``verdict <= 1.5 x run + 50 ms``. The zygote's
preparation (torch._dynamo pre-imported, one intra-op thread) applies to every figure; set
``TORCH_TUTOR_THREADS=2`` to measure torch's default thread count instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor import pipeline
from tutor.course import load_course
from tutor.course.files import course_dirs
from tutor.pipeline import code as pipeline_code
from tutor.sandbox import Sandbox


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _forget(sandbox: Sandbox) -> None:
    """Drop every cached reference: the next verdict computes them on its critical path."""
    with pipeline_code._LOCK:
        pipeline_code._REFERENCES.pop(sandbox, None)


def one(sandbox: Sandbox, lesson: Any, step: Any, ahead: bool) -> tuple[float, float, bool]:
    """(run seconds, verdict seconds, passed) for the step's solution typed at the prompt."""
    _forget(sandbox)
    if ahead:
        pipeline.prepare(sandbox, lesson, step)
    with pipeline.step_limit(sandbox, step):
        sandbox.new_namespace(pipeline.effective_setup(step), step.seed)
        start = time.perf_counter()
        if ahead and step.variants:  # as the REPL does for an attempt: variants beside the run
            pipeline.speculate(sandbox, step, [step.solution])
        result = sandbox.run(step.solution, seed=step.seed, echo=True)
        ran = time.perf_counter() - start
        judged = pipeline.judge_at_prompt(
            sandbox, lesson, step, [step.solution], [], step.solution, result
        )
    return ran, time.perf_counter() - start, judged.verdict.passed


def measure(sandbox: Sandbox, lessons: list[Any], reps: int, only: str | None) -> list[dict]:
    rows = []
    for lesson in lessons:
        if only and lesson.id != only:
            continue
        for step in lesson.steps:
            if step.kind != "code" or pipeline.needs_gpu(sandbox, step):
                continue
            runs, verdicts, colds = [], [], []
            passed = True
            for _ in range(reps):
                ran, verdict, ok = one(sandbox, lesson, step, ahead=True)
                runs.append(ran)
                verdicts.append(verdict)
                passed = passed and ok
                colds.append(one(sandbox, lesson, step, ahead=False)[1])
            run, verdict = statistics.median(runs), statistics.median(verdicts)
            rows.append(
                {
                    "step": f"{lesson.id}.{step.id}",
                    "run_ms": _ms(run),
                    "verdict_ms": _ms(verdict),
                    "cold_ms": _ms(statistics.median(colds)),
                    "target_ms": _ms(1.5 * run + 0.05),
                    "meets": verdict <= 1.5 * run + 0.05,
                    "passed": passed,
                }
            )
            print(
                f"{rows[-1]['step']:<42} run {rows[-1]['run_ms']:>8} ms  verdict "
                f"{rows[-1]['verdict_ms']:>8} ms  cold {rows[-1]['cold_ms']:>8} ms"
                f"{'' if rows[-1]['meets'] else '  (over target)'}",
                file=sys.stderr,
                flush=True,
            )
    return rows


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]


def summary(rows: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {"steps": len(rows), "meet_target": sum(r["meets"] for r in rows)}
    for key in ("run_ms", "verdict_ms", "cold_ms"):
        values = [r[key] for r in rows]
        out[key] = {
            "median": round(statistics.median(values), 1),
            "p90": round(_pct(values, 0.9), 1),
            "max": round(max(values), 1),
        }
    over = [r["verdict_ms"] - r["target_ms"] for r in rows]
    out["worst_over_target_ms"] = round(max(over), 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--lesson", help="only this lesson's code steps")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    lessons, errors = load_course(course_dirs())
    if errors:
        print("\n".join(map(str, errors)), file=sys.stderr)
    sandbox = Sandbox()
    sandbox.start()
    if not sandbox.wait_ready(180):
        print("the sandbox did not start", file=sys.stderr)
        return 3
    try:
        started = time.perf_counter()
        rows = measure(sandbox, lessons, args.reps, args.lesson)
        total = time.perf_counter() - started
    finally:
        sandbox.close()
    result = {"summary": summary(rows), "rows": rows, "seconds": round(total, 1)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    s = result["summary"]
    print(f"\n{s['steps']} code steps, {result['seconds']} s; target verdict <= 1.5 x run + 50 ms")
    print(f"{'':<10} {'median':>9} {'p90':>9} {'max':>9}   (ms)")
    for key, label in (("run_ms", "run"), ("verdict_ms", "verdict"), ("cold_ms", "cold")):
        v = s[key]
        print(f"{label:<10} {v['median']:>9} {v['p90']:>9} {v['max']:>9}")
    print(
        f"meet the target: {s['meet_target']} of {s['steps']}; worst: "
        f"{s['worst_over_target_ms']} ms over its target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
