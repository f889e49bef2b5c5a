"""A whole lesson taken as a learner would, in each language, pinned as a golden transcript.

Any change to what a learner sees (lesson text, verdict tables, feedback,
hints) shows up here as a readable diff. After a deliberate change, rewrite
the files with ``TUTOR_GOLDEN=update python -m pytest tests/session/test_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.testing import run_session_script

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"

# Lesson 3 (tensors): a wrong answer, a hint or a look-up, then the right answer, at each step.
STEPS = [
    "",  # what (read)
    "s = torch.tensor([3.5])",
    "/hint",
    "s = torch.tensor(3.5)",
    "temps = [21.5, 23.0, 19.5]",
    "temps = torch.tensor([21.5, 23.0, 19.5])",
    "m = torch.tensor([[1, 4], [2, 5], [3, 6]])",
    "/hint",
    "m = torch.tensor([[1, 2, 3], [4, 5, 6]])",
    "images = torch.zeros(8, 32, 32, 3)",
    "images = torch.zeros(8, 3, 32, 32)",
    "4",
    "{five}",  # video-dims (quiz)
    "",  # dtypes (read)
    "2",
    "1",  # default-dtypes (predict)
    "1",
    "2",  # one-dtype (predict)
    "big = t[t > 2]",
    "print(t)",
    "big = t > 2",
    "1",
    "2",  # lost-half (predict)
    "avg = scores.sum() // len(scores)",
    "avg = scores.float().mean()",
    "/lessons",
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    from tutor.sandbox import Sandbox

    sb = Sandbox()
    sb.start()
    assert sb.wait_ready(180)  # so no "starting PyTorch" line depends on timing
    yield sb
    sb.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_tensors_transcript(sandbox: object, lang: str) -> None:
    sandbox.lang = lang  # type: ignore[attr-defined]
    inputs = [s.format(five="five" if lang == "en" else "五") for s in STEPS]
    got = run_session_script(
        ROOT / "lessons" / "03-tensors.toml", inputs, lang, sandbox=sandbox, width=80
    )
    path = GOLDEN / f"tensors.{lang}.txt"
    if os.environ.get("TUTOR_GOLDEN") == "update":
        path.write_text(got, encoding="utf-8")
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(
            difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path), "this run")
        )
        pytest.fail(f"the transcript changed (TUTOR_GOLDEN=update rewrites it):\n{diff}")
