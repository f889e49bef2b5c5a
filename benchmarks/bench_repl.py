"""Measure submit -> verdict at the prompt: the live judgement alone (the path before the answer
was judged apart from the history) against the whole judgement, reruns included.

Run by hand (not a pytest test):

    .venv/bin/python benchmarks/bench_repl.py            # a table
    .venv/bin/python benchmarks/bench_repl.py --json     # JSON

Each scenario starts a real course step in a Session (one warm sandbox for all),
types the inputs before it untimed, then times one input from Enter to the verdict
on screen (run, live judgement, reruns from the set-up when earlier tries changed
the namespace, variants, rendering). The baseline, in the same process and the same
state, is what the prompt did before: run the input, judge the live namespace (and
the variants on a pass). Figures are medians in milliseconds.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor import codeinfo, pipeline
from tutor.course import load_course
from tutor.course.files import course_dirs
from tutor.progress import Store
from tutor.render import chat as render
from tutor.sandbox import Sandbox
from tutor.session.conversation import Session
from tutor.session.ui import make_console

# (name, lesson, step, inputs typed before, the timed input)
SCENARIOS = [
    (
        "first try, right (no rerun)",
        "operations",
        "add-sub-pow",
        [],
        "total = a.add(b); gap = b.sub(a); sq = gap.pow(2)",
    ),
    (
        "first try, wrong (no rerun)",
        "operations",
        "add-sub-pow",
        [],
        "total = a.add(b); gap = a.sub(b); sq = gap.pow(2)",
    ),
    (
        "right after an in-place wrong try (rerun passes)",
        "operations",
        "add-sub-pow",
        ["total = a.add_(b); gap = b.sub(a); sq = gap.pow(2)"],
        "total = a.add(b); gap = b.sub(a); sq = gap.pow(2)",
    ),
    (
        "wrong after an in-place wrong try (reruns fail)",
        "operations",
        "add-sub-pow",
        ["total = a.add_(b); gap = b.sub(a); sq = gap.pow(2)"],
        "total = a.add(b); gap = a.sub(b); sq = gap.pow(2)",
    ),
    (
        "backward() after a backward() left gradients (rerun passes)",
        "autograd",
        "first-gradient",
        ["y = x**2 + 3*x + 1; y.backward(); y.backward()"],
        "y = x**2 + 3*x + 1; y.backward()",
    ),
    (
        "print(x) after a wrong try changed x (quiet)",
        "autograd-more",
        "detach-clone",
        ["snapshot = x.detach(); snapshot += 1"],
        "print(x)",
    ),
]


class QuietUI:
    """A UI that renders everything (as a terminal would) into a string nobody reads."""

    def __init__(self) -> None:
        self.console = make_console(io.StringIO(), width=100, plain=True)

    def read(self) -> str | None:
        return None

    def show(self, *renderables: Any) -> None:
        for r in renderables:
            self.console.print(r)

    def write_output(self, text: str) -> None:
        self.console.file.write(text)

    def busy(self, message: str) -> Any:
        import contextlib

        return contextlib.nullcontext()

    def confirm(self, question: str) -> bool:
        return True

    def type_in(self, code: str) -> str | None:
        return code


def _place(lessons: list[Any], lesson_id: str, step_id: str) -> tuple[int, int]:
    li = next(i for i, lesson in enumerate(lessons) if lesson.id == lesson_id)
    si = next(i for i, s in enumerate(lessons[li].steps) if s.id == step_id)
    return li, si


def _prepared(lessons: list[Any], sb: Sandbox, lesson_id: str, step_id: str, before: list[str]):
    session = Session(lessons, sb, Store(None), QuietUI(), "en", save=False)
    session.goto(*_place(lessons, lesson_id, step_id))
    session.ensure_namespace()  # the step's set-up, run when the step starts
    for text in before:
        session.handle(text)
    return session


def after(lessons: list[Any], sb: Sandbox, scenario: tuple[Any, ...]) -> tuple[float, int, bool]:
    """The whole judgement: (seconds, reruns, passed)."""
    _, lesson_id, step_id, before, timed = scenario
    session = _prepared(lessons, sb, lesson_id, step_id, before)
    runs = _count_reruns(sb)
    began = time.perf_counter()
    session.handle(timed)
    seconds = time.perf_counter() - began
    passed = session.store.get(lesson_id, step_id).status == "passed"
    return seconds, runs(), passed


def before_change(lessons: list[Any], sb: Sandbox, scenario: tuple[Any, ...]) -> float:
    """The live judgement alone, as the prompt judged before: run, snapshot, judge, variants."""
    _, lesson_id, step_id, before, timed = scenario
    session = _prepared(lessons, sb, lesson_id, step_id, before)
    step, lesson = session.step, session.lesson
    began = time.perf_counter()
    result = sb.run(timed, seed=step.seed, echo=True)
    code = codeinfo.relevant_code([*session.inputs, timed], timed)
    verdict = pipeline.judge_live(sb, lesson, step, code, result, "en")
    if verdict.passed and step.variants:
        verdict = pipeline.check_variants(sb, lesson, step, code, "en") or verdict
    session.show(render.verdict(verdict, "en"))  # the verdict on screen, as the prompt shows it
    return time.perf_counter() - began


def _count_reruns(sb: Sandbox) -> Any:
    real = sb.run_fresh
    calls = [0]

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    sb.run_fresh = counting  # type: ignore[method-assign]

    def done() -> int:
        sb.run_fresh = real  # type: ignore[method-assign]
        return calls[0]

    return done


def run_all(repeat: int) -> dict[str, Any]:
    lessons, _ = load_course(course_dirs())
    sb = Sandbox(device="cpu", timeout=30)
    sb.start()
    assert sb.wait_ready(180)
    rows: dict[str, dict[str, Any]] = {}
    try:
        for scenario in SCENARIOS:  # warm the reference cache and the code paths
            after(lessons, sb, scenario)
        for scenario in SCENARIOS:
            old = [before_change(lessons, sb, scenario) for _ in range(repeat)]
            new = [after(lessons, sb, scenario) for _ in range(repeat)]
            rows[scenario[0]] = {
                "live only (before)": _ms(old),
                "answer judged (after)": _ms([s for s, _, _ in new]),
                "fresh runs": new[0][1],
                "passed": new[0][2],
            }
    finally:
        sb.close()
    return {"cores": os.cpu_count(), "repeat": repeat, "median_ms": rows}


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--repeat", type=int, default=7, help="samples per figure")
    args = parser.parse_args()
    report = run_all(args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    rows = report["median_ms"]
    width = max(len(k) for k in rows)
    print(f"cores {report['cores']}  samples {report['repeat']}  (median ms)")
    print(f"{'scenario':<{width}}  {'before':>8}  {'after':>8}  reruns  passed")
    for name, row in rows.items():
        print(
            f"{name:<{width}}  {row['live only (before)']:>8.1f}  "
            f"{row['answer judged (after)']:>8.1f}  {row['fresh runs']:>6}  {row['passed']}"
        )


if __name__ == "__main__":
    main()
