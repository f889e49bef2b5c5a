"""The learner's progress in SQLite: one row per step, the current position, an event log.

Every event is written in its own transaction as it happens (WAL mode,
busy_timeout), so ``kill -9`` loses nothing already answered and two tutors open
at once do not corrupt the file. A damaged file is moved aside, never a crash.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FILENAME = "progress.sqlite3"
STATUSES = ("seen", "passed", "skipped")
# A step once passed stays passed; skipped beats seen.
_RANK = {"": 0, "seen": 1, "skipped": 2, "passed": 3}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (
    lesson TEXT NOT NULL, step TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'seen',
    attempts INTEGER NOT NULL DEFAULT 0, hints INTEGER NOT NULL DEFAULT 0,
    last_code TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL DEFAULT 0,
    updated REAL NOT NULL DEFAULT 0, PRIMARY KEY (lesson, step));
CREATE TABLE IF NOT EXISTS position (
    id INTEGER PRIMARY KEY CHECK (id = 1), lesson TEXT NOT NULL, step TEXT NOT NULL,
    updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    ts REAL NOT NULL, lesson TEXT NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '');
"""


@dataclass(frozen=True)
class StepRecord:
    """What the store knows about one step."""

    lesson: str
    step: str
    status: str = ""
    attempts: int = 0
    hints: int = 0
    last_code: str = ""
    seconds: float = 0.0


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The tutor's data folder: $TUTOR_HOME, $XDG_DATA_HOME/torch-tutor or
    ~/.local/share/torch-tutor."""
    env = os.environ if environ is None else environ
    if env.get("TUTOR_HOME"):
        return Path(env["TUTOR_HOME"]).expanduser()
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "torch-tutor"


def resolve_path(option: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The progress file: ``--progress PATH`` (a file, or a folder to hold one) or the data dir."""
    if option:
        path = Path(option).expanduser()
        if path.is_dir() or option.endswith(os.sep):
            return path / FILENAME
        return path
    return data_dir(environ) / FILENAME


class Store:
    """The progress store; ``Store(None)`` keeps everything in memory (``--no-save``)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.notice: tuple[str, dict[str, str]] | None = None  # an i18n key and its fields
        self._db = self._open()

    # -- opening --------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._connect(":memory:")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect(str(self.path))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            return self._recover_corrupt()
        except OSError as exc:
            self.notice = ("store_failed", {"error": str(exc)})
            self.path = None
            return self._connect(":memory:")

    def _connect(self, target: str) -> sqlite3.Connection:
        # isolation_level=None: we open each transaction ourselves, one per event.
        db = sqlite3.connect(target, timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            if target != ":memory:":
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                row = db.execute("PRAGMA quick_check").fetchone()
                if row is None or row[0] != "ok":
                    raise sqlite3.DatabaseError(f"quick_check: {row}")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _recover_corrupt(self) -> sqlite3.Connection:
        assert self.path is not None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        os.replace(self.path, moved)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, moved.with_name(moved.name + suffix))
        self.notice = ("corrupt_moved", {"path": str(moved)})
        return self._connect(str(self.path))

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    # -- writing (each call is one transaction) --------------------------------

    def _write(self, sql: str, params: tuple[Any, ...], event: tuple[str, str, str, str]) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR IGNORE INTO steps (lesson, step, updated) VALUES (?, ?, ?)",
                (event[0], event[1], time.time()),
            )
            self._db.execute(sql, params)
            self._db.execute(
                "INSERT INTO events (ts, lesson, step, kind, detail) VALUES (?, ?, ?, ?, ?)",
                (time.time(), *event),
            )

    def seen(self, lesson: str, step: str) -> None:
        """Mark the step as seen (a step already passed or skipped keeps its status)."""
        self._write(
            "UPDATE steps SET updated = ? WHERE lesson = ? AND step = ?",
            (time.time(), lesson, step),
            (lesson, step, "seen", ""),
        )

    def attempt(self, lesson: str, step: str, code: str, passed: bool) -> None:
        """Count an attempt and keep its code; a pass marks the step passed."""
        self._write(
            "UPDATE steps SET attempts = attempts + 1, last_code = ?, updated = ?, "
            "status = CASE WHEN ? THEN 'passed' ELSE status END "
            "WHERE lesson = ? AND step = ?",
            (code, time.time(), int(passed), lesson, step),
            (lesson, step, "pass" if passed else "attempt", code),
        )

    def set_status(self, lesson: str, step: str, status: str) -> None:
        """Raise the step's status to ``status`` (passed > skipped > seen)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self._write(
            "UPDATE steps SET status = CASE WHEN "
            "(CASE status WHEN 'passed' THEN 3 WHEN 'skipped' THEN 2 ELSE 1 END) "
            "< ? THEN ? ELSE status END, updated = ? WHERE lesson = ? AND step = ?",
            (_RANK[status], status, time.time(), lesson, step),
            (lesson, step, status, ""),
        )

    def hint(self, lesson: str, step: str, count: int) -> None:
        """Record that ``count`` hints of the step have been shown."""
        self._write(
            "UPDATE steps SET hints = MAX(hints, ?), updated = ? WHERE lesson = ? AND step = ?",
            (count, time.time(), lesson, step),
            (lesson, step, "hint", str(count)),
        )

    def add_time(self, lesson: str, step: str, seconds: float) -> None:
        """Add time spent on the step."""
        if seconds <= 0:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR IGNORE INTO steps (lesson, step, updated) VALUES (?, ?, ?)",
                (lesson, step, time.time()),
            )
            self._db.execute(
                "UPDATE steps SET seconds = seconds + ? WHERE lesson = ? AND step = ?",
                (seconds, lesson, step),
            )

    def set_position(self, lesson: str, step: str) -> None:
        """Remember where the learner is, to resume there."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO position (id, lesson, step, updated) VALUES (1, ?, ?, ?)",
                (lesson, step, time.time()),
            )

    # -- reading ----------------------------------------------------------------

    def position(self) -> tuple[str, str] | None:
        """The last (lesson, step) the learner was at, or None."""
        row = self._db.execute("SELECT lesson, step FROM position WHERE id = 1").fetchone()
        return (row[0], row[1]) if row else None

    def get(self, lesson: str, step: str) -> StepRecord:
        """The record of one step (an empty one when never seen)."""
        row = self._db.execute(
            "SELECT lesson, step, status, attempts, hints, last_code, seconds "
            "FROM steps WHERE lesson = ? AND step = ?",
            (lesson, step),
        ).fetchone()
        return StepRecord(*row) if row else StepRecord(lesson, step)

    def records(self) -> list[StepRecord]:
        """Every step record, ordered by lesson and first appearance."""
        rows = self._db.execute(
            "SELECT lesson, step, status, attempts, hints, last_code, seconds "
            "FROM steps ORDER BY lesson, rowid"
        ).fetchall()
        return [StepRecord(*row) for row in rows]

    def passed_count(self) -> int:
        """How many steps have been passed."""
        return int(
            self._db.execute("SELECT COUNT(*) FROM steps WHERE status = 'passed'").fetchone()[0]
        )

    def events(self, limit: int = 1000) -> list[tuple[float, str, str, str, str]]:
        """The latest events, oldest first."""
        rows = self._db.execute(
            "SELECT ts, lesson, step, kind, detail FROM events ORDER BY rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return list(reversed(rows))


EXPORT_FIELDS = ("lesson", "step", "status", "attempts", "hints", "seconds")


def export_rows(records: list[StepRecord]) -> list[dict[str, Any]]:
    """One plain row per step, as ``--export`` writes it."""
    return [
        {
            k: (round(v, 1) if k == "seconds" else v)
            for k, v in asdict(r).items()
            if k in EXPORT_FIELDS
        }
        for r in records
    ]


def export(records: list[StepRecord], fmt: str) -> str:
    """The records as CSV or JSON text."""
    rows = export_rows(records)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


__all__ = [
    "EXPORT_FIELDS",
    "FILENAME",
    "STATUSES",
    "Store",
    "StepRecord",
    "data_dir",
    "export",
    "export_rows",
    "resolve_path",
]
