"""Helpers for the sandbox tests: a sandbox with short limits, the stub judge, env."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tutor.sandbox import Sandbox

STUB = f"{Path(__file__).with_name('judge_stub.py')}:handle"


def make_sandbox(**kwargs: object) -> Sandbox:
    options: dict = {"device": "cpu", "timeout": 2.0, "grace": 1.0, "judge_handler": STUB}
    options.update(kwargs)
    sb = Sandbox(**options)  # type: ignore[arg-type]
    sb.start()
    if not sb.wait_ready(120):
        sb.close()
        raise AssertionError("the sandbox did not start")
    return sb


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env
