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
    updated REAL NOT NULL DEFAULT 0, help TEXT NOT NULL DEFAULT '',
    assisted TEXT NOT NULL DEFAULT '', PRIMARY KEY (lesson, step));
CREATE TABLE IF NOT EXISTS position (
    id INTEGER PRIMARY KEY CHECK (id = 1), lesson TEXT NOT NULL, step TEXT NOT NULL,
    updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    ts REAL NOT NULL, lesson TEXT NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS imports (id TEXT PRIMARY KEY, ts REAL NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    ts REAL NOT NULL, lesson TEXT NOT NULL, step TEXT NOT NULL, passed INTEGER NOT NULL,
    feedback TEXT NOT NULL DEFAULT '', checks TEXT NOT NULL DEFAULT '',
    assisted TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS learner (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
"""
# Columns a store written before them lacks; ``prepare`` adds them (their defaults lose nothing).
_ADDED = {
    "steps": (
        ("help", "TEXT NOT NULL DEFAULT ''"),  # the most help seen: '', 'hints' (all), 'solution'
        ("assisted", "TEXT NOT NULL DEFAULT ''"),  # the help in use when the step was passed
    ),
}

_RANK_SQL = "(CASE {} WHEN 'passed' THEN 3 WHEN 'skipped' THEN 2 WHEN 'seen' THEN 1 ELSE 0 END)"
_HELP_SQL = "(CASE {} WHEN 'solution' THEN 2 WHEN 'hints' THEN 1 ELSE 0 END)"
KINDS = ("seen", "attempt", "status", "hint", "time", "position", "import", "help", "name")
HELPS = ("hints", "solution")


def prepare(db: sqlite3.Connection) -> None:
    """Give ``db`` our tables, and the columns an older store lacks (a migration: every row
    and value it held stays)."""
    db.executescript(SCHEMA)
    for table, columns in _ADDED.items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns:
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")


@dataclass(frozen=True)
class Op:
    """One change to the progress: what, to which step, when, and its argument.

    ``arg``: ``[code, passed, feedback ids, failing checks]`` for an attempt (a store
    written before feedback ids were kept has ``[code, passed]``), the status, the hint
    count, the seconds, the import's id, ``hints`` or ``solution`` for help given, the
    learner's name; None for ``seen`` and ``position``.
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
    if op.kind == "name":
        db.execute(
            "INSERT OR REPLACE INTO learner (key, value, updated) VALUES ('name', ?, ?)",
            (str(op.arg), op.ts),
        )
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
        code, passed, *said = op.arg
        feedback, checks = (list(said) + [[], []])[:2]
        # A first pass keeps the help in use then: a pass after /solution stays one.
        db.execute(
            "UPDATE steps SET attempts = attempts + 1, last_code = ?, updated = ?, "
            "assisted = CASE WHEN ? AND status != 'passed' THEN help ELSE assisted END, "
            "status = CASE WHEN ? THEN 'passed' ELSE status END "
            "WHERE lesson = ? AND step = ?",
            (code, op.ts, int(bool(passed)), int(bool(passed)), *where),
        )
        db.execute(
            "INSERT INTO attempts (ts, lesson, step, passed, feedback, checks, assisted) "
            "SELECT ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN assisted ELSE help END FROM steps "
            "WHERE lesson = ? AND step = ?",
            (
                op.ts,
                *where,
                int(bool(passed)),
                " ".join(feedback),
                " ".join(checks),
                int(bool(passed)),
                *where,
            ),
        )
        event = ("pass" if passed else "attempt", code)
    elif op.kind == "help":
        db.execute(
            f"UPDATE steps SET help = CASE WHEN {_HELP_SQL.format('help')} < "
            f"{_HELP_SQL.format('?')} THEN ? ELSE help END, updated = ? "
            "WHERE lesson = ? AND step = ?",
            (op.arg, op.arg, op.ts, *where),
        )
        event = (str(op.arg), "")
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


_STEP_COLUMNS = "lesson, step, status, attempts, hints, last_code, seconds, updated, help, assisted"
_ATTEMPT_COLUMNS = "ts, lesson, step, passed, feedback, checks, assisted"


def rows(db: sqlite3.Connection) -> dict[str, list[list[Any]]]:
    """Everything in ``db`` as plain rows: steps, events, position, imports, attempts,
    learner."""
    return {
        "steps": [list(r) for r in db.execute(f"SELECT {_STEP_COLUMNS} FROM steps ORDER BY rowid")],
        "events": [
            list(r)
            for r in db.execute("SELECT ts, lesson, step, kind, detail FROM events ORDER BY rowid")
        ],
        "position": [list(r) for r in db.execute("SELECT lesson, step, updated FROM position")],
        "imports": [list(r) for r in db.execute("SELECT id, ts FROM imports")],
        "attempts": [
            list(r) for r in db.execute(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts ORDER BY rowid")
        ],
        "learner": [list(r) for r in db.execute("SELECT key, value, updated FROM learner")],
    }


def merge(db: sqlite3.Connection, found: dict[str, list[list[Any]]]) -> None:
    """Add ``found`` (as ``rows`` gives it) to ``db`` without losing what either holds.

    A step keeps the higher status and the larger counts, and the code of the later
    change; an event is added unless the same one is there; the later position wins.
    Merging the same rows twice changes nothing.
    """
    rank, help_rank = _RANK_SQL, _HELP_SQL
    for row in found.get("steps", []):
        # A copy written before help was kept has 8 columns.
        lesson, step, status, attempts, hints, code, seconds, updated, helped, assisted = (
            list(row) + ["", ""]
        )[:10]
        db.execute(
            "INSERT OR IGNORE INTO steps (lesson, step, updated) VALUES (?, ?, 0)", (lesson, step)
        )
        # A pass made without help, on either side, stays one.
        db.execute(
            "UPDATE steps SET assisted = CASE WHEN status != 'passed' THEN ? "
            f"WHEN ? != 'passed' THEN assisted WHEN {help_rank.format('?')} < "
            f"{help_rank.format('assisted')} THEN ? ELSE assisted END, "
            f"help = CASE WHEN {help_rank.format('help')} < {help_rank.format('?')} THEN ? "
            "ELSE help END WHERE lesson = ? AND step = ?",
            (assisted, status, assisted, assisted, helped, helped, lesson, step),
        )
        db.execute(
            f"UPDATE steps SET status = CASE WHEN {rank.format('status')} < {rank.format('?')} "
            "THEN ? ELSE status END, attempts = MAX(attempts, ?), hints = MAX(hints, ?), "
            "seconds = MAX(seconds, ?), last_code = CASE WHEN ? >= updated THEN ? "
            "ELSE last_code END, updated = MAX(updated, ?) WHERE lesson = ? AND step = ?",
            (status, status, attempts, hints, seconds, updated, code, updated, lesson, step),
        )
    for attempt in found.get("attempts", []):
        db.execute(
            f"INSERT INTO attempts ({_ATTEMPT_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM attempts WHERE ts = ? AND lesson = ? AND step = ?)",
            (*attempt, *attempt[:3]),
        )
    for key, value, updated in found.get("learner", []):
        db.execute(
            "INSERT OR REPLACE INTO learner (key, value, updated) SELECT ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM learner WHERE key = ? AND updated > ?)",
            (key, value, updated, key, updated),
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


__all__ = ["HELPS", "KINDS", "SCHEMA", "Op", "apply", "merge", "prepare", "rows", "transaction"]
