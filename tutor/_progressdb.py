"""The progress database's tables, the changes the tutor makes to them as plain data (``Op``),
and merging one database's rows into another.

Private to :mod:`tutor.progress`. An ``Op`` is applied to the session's in-memory copy
at once and to the file when the file can take it, so a change that could not be
written is replayed later, exactly, or written out as JSON.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS imports (id TEXT PRIMARY KEY, ts REAL NOT NULL);
"""

_RANK_SQL = "(CASE {} WHEN 'passed' THEN 3 WHEN 'skipped' THEN 2 WHEN 'seen' THEN 1 ELSE 0 END)"
KINDS = ("seen", "attempt", "status", "hint", "time", "position", "import")


@dataclass(frozen=True)
class Op:
    """One change to the progress: what, to which step, when, and its argument.

    ``arg``: ``[code, passed]`` for an attempt, the status, the hint count, the
    seconds, the import's id; None for ``seen`` and ``position``.
    """

    kind: str
    lesson: str
    step: str
    ts: float
    arg: Any = None

    def to_json(self) -> list[Any]:
        return [self.kind, self.lesson, self.step, self.ts, self.arg]

    @classmethod
    def from_json(cls, item: Any) -> Op:
        """An Op from its JSON form; ValueError when it is not one."""
        if not (isinstance(item, list) and len(item) == 5 and item[0] in KINDS):
            raise ValueError(f"not a progress change: {item!r:.80}")
        kind, lesson, step, ts, arg = item
        if not (isinstance(lesson, str) and isinstance(step, str)):
            raise ValueError(f"not a progress change: {item!r:.80}")
        return cls(kind, lesson, step, float(ts), arg)


def apply(db: sqlite3.Connection, op: Op) -> None:
    """Make the change ``op`` in ``db`` (inside the caller's transaction)."""
    if op.kind == "position":
        db.execute(
            "INSERT OR REPLACE INTO position (id, lesson, step, updated) VALUES (1, ?, ?, ?)",
            (op.lesson, op.step, op.ts),
        )
        return
    if op.kind == "import":
        db.execute("INSERT OR IGNORE INTO imports (id, ts) VALUES (?, ?)", (op.arg, op.ts))
        return
    where = (op.lesson, op.step)
    db.execute(
        "INSERT OR IGNORE INTO steps (lesson, step, updated) VALUES (?, ?, ?)", (*where, op.ts)
    )
    event: tuple[str, str] | None
    if op.kind == "seen":
        db.execute("UPDATE steps SET updated = ? WHERE lesson = ? AND step = ?", (op.ts, *where))
        event = ("seen", "")
    elif op.kind == "attempt":
        code, passed = op.arg
        db.execute(
            "UPDATE steps SET attempts = attempts + 1, last_code = ?, updated = ?, "
            "status = CASE WHEN ? THEN 'passed' ELSE status END "
            "WHERE lesson = ? AND step = ?",
            (code, op.ts, int(bool(passed)), *where),
        )
        event = ("pass" if passed else "attempt", code)
    elif op.kind == "status":
        db.execute(
            f"UPDATE steps SET status = CASE WHEN {_RANK_SQL.format('status')} < "
            f"{_RANK_SQL.format('?')} THEN ? ELSE status END, updated = ? "
            "WHERE lesson = ? AND step = ?",
            (op.arg, op.arg, op.ts, *where),
        )
        event = (op.arg, "")
    elif op.kind == "hint":
        db.execute(
            "UPDATE steps SET hints = MAX(hints, ?), updated = ? WHERE lesson = ? AND step = ?",
            (int(op.arg), op.ts, *where),
        )
        event = ("hint", str(op.arg))
    else:  # time
        db.execute(
            "UPDATE steps SET seconds = seconds + ? WHERE lesson = ? AND step = ?",
            (float(op.arg), *where),
        )
        event = None
    if event is not None:
        db.execute(
            "INSERT INTO events (ts, lesson, step, kind, detail) VALUES (?, ?, ?, ?, ?)",
            (op.ts, *where, *event),
        )


_STEP_COLUMNS = "lesson, step, status, attempts, hints, last_code, seconds, updated"


def rows(db: sqlite3.Connection) -> dict[str, list[list[Any]]]:
    """Everything in ``db`` as plain rows: steps, events, position, imports."""
    return {
        "steps": [list(r) for r in db.execute(f"SELECT {_STEP_COLUMNS} FROM steps ORDER BY rowid")],
        "events": [
            list(r)
            for r in db.execute("SELECT ts, lesson, step, kind, detail FROM events ORDER BY rowid")
        ],
        "position": [list(r) for r in db.execute("SELECT lesson, step, updated FROM position")],
        "imports": [list(r) for r in db.execute("SELECT id, ts FROM imports")],
    }


def merge(db: sqlite3.Connection, found: dict[str, list[list[Any]]]) -> None:
    """Add ``found`` (as ``rows`` gives it) to ``db`` without losing what either holds.

    A step keeps the higher status and the larger counts, and the code of the later
    change; an event is added unless the same one is there; the later position wins.
    Merging the same rows twice changes nothing.
    """
    rank = _RANK_SQL
    for lesson, step, status, attempts, hints, code, seconds, updated in found.get("steps", []):
        db.execute(
            "INSERT OR IGNORE INTO steps (lesson, step, updated) VALUES (?, ?, 0)", (lesson, step)
        )
        db.execute(
            f"UPDATE steps SET status = CASE WHEN {rank.format('status')} < {rank.format('?')} "
            "THEN ? ELSE status END, attempts = MAX(attempts, ?), hints = MAX(hints, ?), "
            "seconds = MAX(seconds, ?), last_code = CASE WHEN ? >= updated THEN ? "
            "ELSE last_code END, updated = MAX(updated, ?) WHERE lesson = ? AND step = ?",
            (status, status, attempts, hints, seconds, updated, code, updated, lesson, step),
        )
    for event in found.get("events", []):
        db.execute(
            "INSERT INTO events (ts, lesson, step, kind, detail) SELECT ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM events WHERE ts = ? AND lesson = ? AND step = ? "
            "AND kind = ? AND detail = ?)",
            (*event, *event),
        )
    for lesson, step, updated in found.get("position", []):
        db.execute(
            "INSERT OR REPLACE INTO position (id, lesson, step, updated) SELECT 1, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM position WHERE updated > ?)",
            (lesson, step, updated, updated),
        )
    for import_id, ts in found.get("imports", []):
        db.execute("INSERT OR IGNORE INTO imports (id, ts) VALUES (?, ?)", (import_id, ts))


def transaction(db: sqlite3.Connection, work: Any) -> None:
    """Run ``work(db)`` in one immediate transaction: all of it is written, or none."""
    db.execute("BEGIN IMMEDIATE")
    try:
        work(db)
        db.execute("COMMIT")
    except BaseException:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # a failed COMMIT may have ended the transaction already
        raise


__all__ = ["KINDS", "SCHEMA", "Op", "apply", "merge", "rows", "transaction"]
