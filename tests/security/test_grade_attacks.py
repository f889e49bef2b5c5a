"""``grade`` on a folder of right, wrong, crashing, slow and hostile submissions.

The hostile ones are the answers of test_attacks.py (each fakes a pass, freezes or
kills something when the sandbox does not hold); in ``grade`` they run side by
side with honest answers in one sandbox, and every one must still fail, while the
right answers beside them pass. Runs against a throwaway install, as the attacks do.
"""

from __future__ import annotations

import json
import os

from conftest import Install, landlock_abi, processes_with, run_tutor
from test_attacks import (
    IMPERSONATE,
    KILL_ZYGOTE,
    LEAK,
    LESSON,
    POISON,
    REPLACE_TAKER,
    STEP,
    TORCH_FUNCTION,
    WRONG,
    _signal_ui,
)

RIGHT = "evens = torch.arange(0, 11, 2)\n"

HONEST = {
    "right-1.py": RIGHT,
    "right-2.py": "evens = torch.arange(6) * 2\n",
    "right-3.py": "evens = torch.arange(0, 12, 2)\n",
    "wrong-end.py": "evens = torch.arange(0, 10, 2)\n",
    "wrong-typed.py": "evens = torch.tensor([0, 2, 4, 6, 8, 10])\n",
    "wrong-name.py": "evns = torch.arange(0, 11, 2)\n",
    "raises-matmul.py": "evens = torch.ones(2, 3) @ torch.ones(2, 3)\n",
    "raises-other.py": "evens = torch.arange(0, 11, 2) + undefined_name\n",
    "crash-segv.py": "import ctypes\nctypes.string_at(0)\n",
    "crash-exit.py": "import os\nos._exit(3)\n",
    "slow.py": "while True:\n    pass\n",
}

HOSTILE = {
    "attack-1-taker.py": REPLACE_TAKER + WRONG,
    "attack-2-subclass.py": TORCH_FUNCTION,
    "attack-3-leak.py": LEAK,
    "attack-4-poison.py": POISON + WRONG,
    "attack-5-judge.py": IMPERSONATE + WRONG,
    "attack-6-stop.py": _signal_ui("SIGSTOP") + WRONG,
    "attack-6-kill.py": _signal_ui("SIGKILL") + WRONG,
    "attack-7-zygote.py": KILL_ZYGOTE + WRONG,
}


def _grade(install: Install, folder: str, *extra: str, timeout: float = 600) -> tuple[dict, int]:
    ran = run_tutor(
        install,
        ["grade", LESSON, STEP, folder, "--json", "--lang", "en", *extra],
        timeout=timeout,
    )
    assert not ran.frozen, f"grade froze\n{ran.stderr[-3000:]}"
    start = ran.stdout.find("{")
    assert start >= 0, (
        f"no JSON (exit {ran.returncode}):\n{ran.stdout[-2000:]}\n{ran.stderr[-3000:]}"
    )
    return json.loads(ran.stdout[start:]), ran.returncode  # type: ignore[return-value]


def test_a_folder_of_right_wrong_crashing_slow_and_hostile_answers(
    install: Install, reaper: list[str]
) -> None:
    reaper += ["sleep 3137", "sleep 3138"]
    folder = install.scratch / "answers"
    folder.mkdir()
    for name, code in {**HONEST, **HOSTILE}.items():
        (folder / name).write_text(code, encoding="utf-8")
    (folder / "notes.txt").write_text("not an answer", encoding="utf-8")
    handler = install.site / "tutor" / "judge" / "handler.py"
    before = handler.read_bytes()

    report, code = _grade(install, str(folder), "--timeout", "3", "--jobs", "3")

    rows = {os.path.basename(r["file"]): r for r in report["submissions"]}
    assert set(rows) == set(HONEST) | set(HOSTILE)  # notes.txt is no answer to a code step
    passed = sorted(name for name, r in rows.items() if r["passed"])
    assert passed == ["right-1.py", "right-2.py", "right-3.py"], json.dumps(report, indent=1)
    assert code == 1 and report["passed"] == 3 and report["total"] == len(rows)
    for name, row in rows.items():
        if not row["passed"]:
            assert row["feedback_ids"], f"{name} failed with no feedback id: {row}"
            assert row["failing_checks"], f"{name} failed with no failing check: {row}"
    assert rows["slow.py"]["outcome"] == "timeout" and "timeout" in rows["slow.py"]["feedback_ids"]
    assert rows["crash-segv.py"]["outcome"] == "crashed"
    assert rows["crash-exit.py"]["outcome"] == "exited"
    assert rows["raises-matmul.py"]["outcome"] == "error"
    assert rows["raises-matmul.py"]["feedback_ids"] == ["matmul-inner-size"]
    assert rows["raises-other.py"]["feedback_ids"] == ["error-other"]
    assert "NameError" in rows["raises-other.py"]["error"]
    assert "arange-end" in rows["wrong-end.py"]["feedback_ids"]
    assert handler.read_bytes() == before, "a submission wrote into the tutor's package"
    assert processes_with("sleep 3137") == [] and processes_with("sleep 3138") == []
    mistakes = {m["id"]: m["count"] for m in report["mistakes"]}
    assert mistakes["timeout"] == 1 and mistakes["error-other"] >= 1
    if landlock_abi()[0] >= 6:
        # Confined, no attack even reached the sandbox's own processes.
        assert rows["attack-7-zygote.py"]["outcome"] == "failed"


def test_a_submission_that_kills_the_sandbox_does_not_fail_the_others(
    install: Install, reaper: list[str]
) -> None:
    """Without Landlock learner code can kill the zygote, and every submission running beside
    it dies too: those are graded again alone, so only the attacker fails."""
    reaper += ["sleep 3137", "sleep 3138"]
    folder = install.scratch / "answers"
    folder.mkdir()
    for i in range(5):
        (folder / f"right-{i}.py").write_text(RIGHT + "import time\ntime.sleep(0.5)\n")
    (folder / "attack-7-zygote.py").write_text("import time\ntime.sleep(0.2)\n" + KILL_ZYGOTE)
    ran = run_tutor(
        install,
        ["grade", LESSON, STEP, str(folder), "--json", "--jobs", "6"],
        timeout=600,
        env={"TORCH_TUTOR_NO_LANDLOCK": "1"},
    )
    assert not ran.frozen, ran.stderr[-3000:]
    report = json.loads(ran.stdout[ran.stdout.find("{") :])
    rows = {os.path.basename(r["file"]): r for r in report["submissions"]}
    assert all(rows[f"right-{i}.py"]["passed"] for i in range(5)), json.dumps(report, indent=1)
    assert not rows["attack-7-zygote.py"]["passed"]
    assert rows["attack-7-zygote.py"]["feedback_ids"]
    assert processes_with("sleep 3137") == [] and processes_with("sleep 3138") == []
