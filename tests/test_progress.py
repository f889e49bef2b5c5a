"""The SQLite progress store: where it lives, what it records, and that nothing is lost."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tutor import progress
from tutor.progress import Store


def test_data_dir_follows_the_environment(tmp_path: Path) -> None:
    assert progress.data_dir({"TUTOR_HOME": str(tmp_path)}) == tmp_path
    assert progress.data_dir({"XDG_DATA_HOME": "/x"}) == Path("/x/torch-tutor")
    home = Path(os.path.expanduser("~"))
    assert progress.data_dir({}) == home / ".local" / "share" / "torch-tutor"


def test_progress_option_names_a_file_or_a_folder(tmp_path: Path) -> None:
    assert progress.resolve_path(str(tmp_path)) == tmp_path / progress.FILENAME
    assert progress.resolve_path(str(tmp_path / "p.db")) == tmp_path / "p.db"
    assert progress.resolve_path(None, {"TUTOR_HOME": str(tmp_path)}) == (
        tmp_path / progress.FILENAME
    )


def test_records_status_attempts_hints_code_time_and_position(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    store.seen("creation", "zeros")
    store.attempt("creation", "zeros", "x = torch.ones(2, 3)", passed=False)
    store.hint("creation", "zeros", 1)
    store.hint("creation", "zeros", 2)
    store.attempt("creation", "zeros", "x = torch.zeros(2, 3)", passed=True)
    store.add_time("creation", "zeros", 12.5)
    store.set_position("creation", "ones")
    store.close()

    again = Store(tmp_path / "p.db")
    rec = again.get("creation", "zeros")
    assert (rec.status, rec.attempts, rec.hints, rec.last_code) == (
        "passed",
        2,
        2,
        "x = torch.zeros(2, 3)",
    )
    assert rec.seconds == 12.5
    assert again.position() == ("creation", "ones")
    assert again.passed_count() == 1
    assert [e[3] for e in again.events()] == ["seen", "attempt", "hint", "hint", "pass"]


def test_a_passed_step_stays_passed(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    store.attempt("l", "s", "ok", passed=True)
    store.set_status("l", "s", "skipped")
    store.seen("l", "s")
    store.attempt("l", "s", "wrong", passed=False)
    assert store.get("l", "s").status == "passed"
    store.set_status("l", "t", "skipped")
    store.seen("l", "t")
    assert store.get("l", "t").status == "skipped"


def test_no_save_keeps_nothing_on_disk(tmp_path: Path) -> None:
    store = Store(None)
    store.attempt("l", "s", "x", passed=True)
    assert store.get("l", "s").status == "passed"
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_file_is_moved_aside_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    path.write_bytes(b"this is not a database at all" * 100)
    store = Store(path)
    notices = store.take_notices()
    assert [n.key for n in notices] == ["corrupt_moved"]
    moved = Path(notices[0].fields["path"])
    assert moved.exists() and moved.name.startswith("p.db.corrupt-")
    store.attempt("l", "s", "x", passed=True)
    assert store.get("l", "s").status == "passed"


def test_two_stores_at_once_do_not_corrupt(tmp_path: Path) -> None:
    a, b = Store(tmp_path / "p.db"), Store(tmp_path / "p.db")
    for i in range(50):
        a.attempt("l", f"a{i}", "x", passed=True)
        b.attempt("l", f"b{i}", "y", passed=False)
    a.close()
    b.close()
    store = Store(tmp_path / "p.db")
    assert len(store.records()) == 100
    assert store.passed_count() == 50


def test_kill_9_loses_nothing_answered(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    script = textwrap.dedent(f"""
        import sys, time
        from tutor.progress import Store
        store = Store({str(path)!r})
        store.attempt("l", "s1", "x = 1", passed=True)
        store.hint("l", "s2", 1)
        store.set_position("l", "s2")
        print("written", flush=True)
        time.sleep(60)
    """)
    with subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = Store(path)
    assert store.get("l", "s1").status == "passed"
    assert store.get("l", "s2").hints == 1
    assert store.position() == ("l", "s2")


def test_export_csv_and_json(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    store.attempt("creation", "zeros", "x", passed=True)
    store.hint("creation", "ones", 2)
    store.add_time("creation", "zeros", 3.14159)
    rows = list(csv.DictReader(io.StringIO(progress.export(store.records(), "csv"))))
    assert list(rows[0]) == list(progress.EXPORT_FIELDS)
    assert rows[0] == {
        "lesson": "creation",
        "step": "zeros",
        "status": "passed",
        "attempts": "1",
        "hints": "0",
        "seconds": "3.1",
    }
    data = json.loads(progress.export(store.records(), "json"))
    assert data[1]["step"] == "ones" and data[1]["hints"] == 2
    store.close()
