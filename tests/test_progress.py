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
    store.set_name("Ada")
    store.attempt(
        "creation", "zeros", "x = 1", passed=False, feedback=["used-ones"], checks=["x.values"]
    )
    store.attempt("creation", "zeros", "x", passed=True)
    store.hint("creation", "ones", 2)
    store.helped("creation", "ones", "solution")
    store.attempt("creation", "ones", "o", passed=True)
    store.add_time("creation", "zeros", 3.14159)
    store.set_position("creation", "ones")
    text = progress.export(
        store.records(),
        "csv",
        learner=store.name(),
        position=store.position(),
        attempts=store.attempts(),
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(progress.EXPORT_FIELDS)
    assert rows[0]["last_activity"].endswith("+00:00")
    assert {k: v for k, v in rows[0].items() if k != "last_activity"} == {
        "learner": "Ada",
        "lesson": "creation",
        "step": "zeros",
        "status": "passed",
        "assisted": "",
        "attempts": "2",
        "hints": "0",
        "seconds": "3.1",
        "current": "",
        "feedback_ids": "used-ones:1",
        "failing_checks": "x.values:1",
    }
    assert rows[1]["assisted"] == "solution" and rows[1]["current"] == "true"
    data = json.loads(progress.export(store.records(), "json", learner="Ada"))
    assert data[1]["step"] == "ones" and data[1]["hints"] == 2
    assert data[1]["assisted"] == "solution" and data[0]["feedback_ids"] == {}


def test_a_pass_after_the_solution_or_every_hint_is_kept_as_such(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    store.helped("l", "sol", "solution")
    store.attempt("l", "sol", "x", passed=True)
    store.helped("l", "hints", "hints")
    store.attempt("l", "hints", "x", passed=False, feedback=["f"])
    store.attempt("l", "hints", "x", passed=True)
    store.attempt("l", "own", "x", passed=True)
    store.helped("l", "own", "solution")  # shown after an own pass: the pass stays its own
    store.attempt("l", "own", "x", passed=True)
    again = Store(tmp_path / "p.db")  # what the file holds, not only the session's copy
    got = {r.step: (r.status, r.assisted, r.help) for r in again.records()}
    assert got == {
        "sol": ("passed", "solution", "solution"),
        "hints": ("passed", "hints", "hints"),
        "own": ("passed", "", "solution"),
    }
    attempts = again.attempts()
    assert [(a.step, a.passed, a.feedback, a.assisted) for a in attempts[1:3]] == [
        ("hints", False, ("f",), "hints"),
        ("hints", True, (), "hints"),
    ]
    store.close()
    again.close()


def test_the_learners_name_and_last_activity(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    assert store.name() == "" and store.last_activity() is None
    store.set_name("  Grace Hopper ")
    store.seen("l", "s")
    assert Store(tmp_path / "p.db").name() == "Grace Hopper"
    assert abs((store.last_activity() or 0) - __import__("time").time()) < 60
    store.close()


OLD_SCHEMA = """
CREATE TABLE steps (
    lesson TEXT NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'seen',
    attempts INTEGER NOT NULL DEFAULT 0, hints INTEGER NOT NULL DEFAULT 0,
    last_code TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL DEFAULT 0,
    updated REAL NOT NULL DEFAULT 0, PRIMARY KEY (lesson, step));
CREATE TABLE position (
    id INTEGER PRIMARY KEY CHECK (id = 1), lesson TEXT NOT NULL, step TEXT NOT NULL,
    updated REAL NOT NULL);
CREATE TABLE events (
    ts REAL NOT NULL, lesson TEXT NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '');
CREATE TABLE imports (id TEXT PRIMARY KEY, ts REAL NOT NULL);
INSERT INTO steps VALUES ('creation', 'zeros', 'passed', 3, 2, 'x = 0', 41.5, 1700000000);
INSERT INTO steps VALUES ('creation', 'ones', 'skipped', 0, 0, '', 5, 1700000100);
INSERT INTO position VALUES (1, 'creation', 'ones', 1700000100);
INSERT INTO events VALUES (1700000000, 'creation', 'zeros', 'pass', 'x = 0');
"""


def test_a_store_from_before_attempts_and_help_were_kept_migrates_without_loss(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    old.commit()
    old.close()
    reading = Store(path, read_only=True)  # reading migrates nothing on disk
    assert reading.get("creation", "zeros").attempts == 3 and reading.attempts() == []
    reading.close()
    store = Store(path)
    zeros = store.get("creation", "zeros")
    assert (zeros.status, zeros.attempts, zeros.hints, zeros.last_code, zeros.seconds) == (
        "passed",
        3,
        2,
        "x = 0",
        41.5,
    )
    assert zeros.assisted == "" and store.position() == ("creation", "ones")
    assert store.events()[0][3] == "pass"
    store.set_name("Ada")
    store.attempt("creation", "ones", "o", passed=False, feedback=["used-zeros"])
    store.close()
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(steps)")}
    assert {"help", "assisted"} <= columns
    assert db.execute("SELECT feedback FROM attempts").fetchall() == [("used-zeros",)]
    db.close()


def test_an_old_copy_of_unsaved_progress_still_imports(tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_text(
        json.dumps(
            {
                "format": progress.COPY_FORMAT,
                "id": "old-1",
                "ops": [["attempt", "l", "s", 1700000000.0, ["x = 1", True]]],
                "rows": {
                    "steps": [["l", "t", "passed", 1, 0, "y", 2.0, 1700000001.0]],
                    "events": [],
                    "position": [],
                    "imports": [],
                },
            }
        ),
        encoding="utf-8",
    )
    store = Store(tmp_path / "p.db")
    assert store.import_copy(copy) == 2
    assert store.get("l", "s").status == "passed" and store.get("l", "t").status == "passed"
    assert store.get("l", "t").assisted == ""
    store.close()
