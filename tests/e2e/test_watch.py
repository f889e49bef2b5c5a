"""Watch mode in a real pseudo-terminal: edit -> save -> verdict -> next step."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "tests" / "watch_lessons"


def _spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    argv = ["-m", "tutor", "--no-save", "--lang", "en", "--lessons", str(LESSONS), "watch", *args]
    return pexpect.spawn(
        sys.executable,
        argv,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb", "PYTHONPATH": str(ROOT)},
    )


def _save(path: Path, text: str) -> None:
    # Write to a temporary name and rename over the file, as many editors do.
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def test_edit_save_verdict_next(tmp_path: Path) -> None:
    answer = tmp_path / "answer.py"
    child = _spawn(tmp_path, "watch-demo", "zeros", str(answer))
    child.expect("Watching")
    assert "Make `x`, a 2 x 3 tensor of zeros" in answer.read_text(encoding="utf-8")
    time.sleep(0.3)
    _save(answer, "x = torch.ones(2, 3)\n")
    child.expect("Not quite yet")
    child.expect("fills with ones")
    _save(answer, "x = torch.zeros(2, 3)\n")
    child.expect("zeros: passed")
    child.expect("Double it")  # the next code step's task
    assert (tmp_path / "answer.zeros.py").read_text(encoding="utf-8") == "x = torch.zeros(2, 3)\n"
    assert "twice `a`" in answer.read_text(encoding="utf-8")
    time.sleep(0.3)
    _save(answer, "b = a * 2\n")
    child.expect("Lesson complete")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_existing_answer_checked_at_once(tmp_path: Path) -> None:
    answer = tmp_path / "answer.py"
    answer.write_text("b = a + 2\n", encoding="utf-8")
    child = _spawn(tmp_path, "watch-demo", "double", str(answer))
    child.expect("You added 2")
    child.expect("Watching")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


@pytest.mark.parametrize(
    "args", [("nope", "zeros"), ("watch-demo", "nope"), ("watch-demo", "intro")]
)
def test_unknown_or_wrong_step_exits_2(tmp_path: Path, args: tuple[str, str]) -> None:
    child = _spawn(tmp_path, *args, str(tmp_path / "a.py"))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2


def test_prints_and_tracebacks_with_the_files_line_numbers(tmp_path: Path) -> None:
    """What the file prints is shown, and an error names the file and its line, as
    `python FILE` would (the newcomer walk saw neither)."""
    answer = tmp_path / "answer.py"
    child = _spawn(tmp_path, "watch-demo", "zeros", str(answer))
    child.expect("Watching")
    time.sleep(0.3)
    _save(answer, "# my try\no = torch.ones(1, 3)\nprint(o.shape)\nprint(q)\n")
    child.expect(r"torch\.Size\(\[1, 3\]\)")
    child.expect(f'File "{answer}", line 4, in <module>')
    child.expect(r"print\(q\)")
    child.expect("NameError: name 'q' is not defined")
    time.sleep(0.3)
    _save(answer, "x = torch.zeros((2, 3)\n")
    child.expect(f'File "{answer}", line 1')
    child.expect(r"\^")
    child.expect("was never closed")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
