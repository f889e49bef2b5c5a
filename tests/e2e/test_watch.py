"""Watch mode in a real pseudo-terminal: edit -> save -> verdict -> next step."""

from __future__ import annotations

import io
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from .pty import ROOT
from .pty import spawn_watch as _spawn

LESSONS = ROOT / "tests" / "watch_lessons"


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
    _save(answer, "x = torch.ones(2, 3)\n")  # at once: seen even before the watch is in place
    child.expect("Not quite yet")
    child.expect("fills with ones")
    _save(answer, "x = torch.zeros(2, 3)\n")
    child.expect("zeros: passed")
    child.expect("Double it")  # the next code step's task
    assert (tmp_path / "answer.zeros.py").read_text(encoding="utf-8") == "x = torch.zeros(2, 3)\n"
    assert "twice `a`" in answer.read_text(encoding="utf-8")
    _save(answer, "b = a * 2\n")
    child.expect("Lesson complete")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    "preexec", [None, _ignore_sigint], ids=["sigint-default", "sigint-ignored"]
)
def test_existing_answer_checked_at_once_and_ctrl_c_stops(tmp_path: Path, preexec: Any) -> None:
    """Ctrl-C stops watching, also when the tutor was started with SIGINT ignored: a script
    that starts its jobs in the background (no job control) hands them SIGINT ignored, and
    once the tutor is the terminal's foreground job Ctrl-C must still reach it (the loaded
    suite run that started pytest that way saw every Ctrl-C here lost)."""
    answer = tmp_path / "answer.py"
    answer.write_text("b = a + 2\n", encoding="utf-8")
    child = _spawn(tmp_path, "watch-demo", "double", str(answer), preexec_fn=preexec)
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


def test_unwritable_progress_is_said_and_kept(tmp_path: Path) -> None:
    from fsfaults import Immutable

    from tutor.progress import Store

    home = tmp_path / "home"
    Store(home / "progress.sqlite3").close()
    answer = tmp_path / "answer.py"
    answer.write_text("x = torch.zeros(2, 3)\n", encoding="utf-8")
    argv = ["-m", "tutor", "--progress", str(home), "--lang", "en", "--lessons", str(LESSONS)]
    with Immutable(home):
        child = pexpect.spawn(
            sys.executable,
            [*argv, "watch", "watch-demo", "zeros", str(answer)],
            cwd=str(tmp_path),
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 200),
            env={
                "PATH": "/usr/bin:/bin",
                "TERM": "dumb",
                "PYTHONPATH": str(ROOT),
                "TMPDIR": str(tmp_path),
            },  # fmt: skip
        )
        child.logfile_read = screen = io.StringIO()
        child.expect("Progress cannot be saved to")
        child.expect("zeros: passed")
        child.expect("Watching")
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
    said = re.sub(r"\s+", "", screen.getvalue())  # lines wrap, even inside a long path
    assert "Traceback" not in said
    unsaved = f"Not saved to {home / 'progress.sqlite3'} (permission denied): your work on "
    assert re.sub(r"\s+", "", unsaved) + "watch-demo.zeros." in said
    copy = Path(re.search(r"Acopyisin(\S+?\.json);", said).group(1))  # type: ignore[union-attr]
    store = Store(home / "progress.sqlite3")
    store.import_copy(copy)
    assert store.get("watch-demo", "zeros").status == "passed"
    store.close()


def test_prints_and_tracebacks_with_the_files_line_numbers(tmp_path: Path) -> None:
    """What the file prints is shown, and an error names the file and its line, as
    `python FILE` would (the newcomer walk saw neither)."""
    answer = tmp_path / "answer.py"
    child = _spawn(tmp_path, "watch-demo", "zeros", str(answer))
    child.expect("Watching")
    _save(answer, "# my try\no = torch.ones(1, 3)\nprint(o.shape)\nprint(q)\n")
    child.expect(r"torch\.Size\(\[1, 3\]\)")
    child.expect(f'File "{answer}", line 4, in <module>')
    child.expect(r"print\(q\)")
    child.expect("NameError: name 'q' is not defined")
    _save(answer, "x = torch.zeros((2, 3)\n")
    child.expect(f'File "{answer}", line 1')
    child.expect(r"\^")
    child.expect("was never closed")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
