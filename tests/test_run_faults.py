"""`python -m tutor run --timeout 2 FILE` on each kind of hostile or runaway code.

Every fault ends within a few seconds, with the exit status ``python FILE``
would have (1 where the sandbox's limit stopped it) and a message that names
its cause, and leaves no process of the learner's behind.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# name: (code, words the output must hold, exit status)
FAULTS = {
    "runaway-loop": ("while True:\n    pass\n", "time limit", 1),
    "swallows-ctrl-c": (
        "while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n        pass\n",
        "time limit",
        1,
    ),
    "sleep": ("import time\ntime.sleep(100)\n", "time limit", 1),
    "tensor-bomb": ("import torch\nx = torch.zeros(10**11)\n", "memory", 1),
    "list-bomb": ("x = [0] * 10**10\n", "memory", 1),
    # A crash ends with the status a shell shows for `python FILE` killed by the signal.
    "segfault": ("import ctypes\nctypes.string_at(0)\n", "segmentation fault", 128 + 11),
    "abort": ("import os\nos.abort()\n", "aborted", 128 + 6),
    "os-exit": ("import os\nos._exit(3)\n", "", 3),
    "sys-exit": ("import sys\nsys.exit(2)\n", "", 2),
    "raise-keyboard-interrupt": ("raise KeyboardInterrupt\n", "KeyboardInterrupt", 130),
    "child-processes": (
        "import subprocess, time\nfor _ in range(3):\n"
        "    subprocess.Popen(['sleep', '1000'])\ntime.sleep(100)\n",
        "time limit",
        1,
    ),
    "print-flood": ("while True:\n    print('spam ' * 200)\n", "output cut", 1),
    "deep-recursion": ("def f(n):\n    return f(n + 1)\nf(0)\n", "RecursionError", 1),
}


def _sleepers() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "^sleep 1000$"], capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_ends_quickly_with_pythons_status(tmp_path: Path, name: str, tutor_cli: Any) -> None:
    code, words, status = FAULTS[name]
    path = tmp_path / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    before = _sleepers()
    began = time.monotonic()
    proc = tutor_cli("--lang", "en", "run", "--timeout", "2", str(path), timeout=60)
    elapsed = time.monotonic() - began
    said = proc.stdout + proc.stderr
    assert proc.returncode == status, said[-2000:]
    assert words.lower() in said.lower(), said[-2000:]
    # Start-up (torch import) plus the 2 s limit and the kill grace.
    assert elapsed < 20, elapsed
    assert "tutor/" not in said.split("Traceback")[-1] if "Traceback" in said else True
    assert not (_sleepers() - before)
