"""The learner's progress in SQLite: one row per step, the current position, an event log.

Every event is written in its own transaction as it happens (WAL mode,
busy_timeout), so ``kill -9`` loses nothing already answered and two tutors open
at once do not corrupt the file. A file that really is damaged (not a database, by
its header and SQLite's ``quick_check``) is moved aside; a write that fails for any
other reason (a full disk, a read-only folder) is kept in memory and retried, and
what cannot be written by the end goes to a JSON copy. README.md ("What is saved,
and when") states the guarantees.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tutor import _progressdb as db
from tutor import _progressfile as files
from tutor._progressfile import REASON_KEYS

FILENAME = "progress.sqlite3"
STATUSES = ("seen", "passed", "skipped")
COPY_FORMAT = "torch-tutor-unsaved-progress-1"


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


@dataclass(frozen=True)
class Notice:
    """Something the learner must be told about their progress: an i18n key and its fields.

    A ``reason`` field holds a reason key (``reason_full`` ...) or an error's own
    words; ``steps`` holds a list of ``lesson.step`` names.
    """

    key: str
    fields: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        from tutor.i18n import t

        fields = dict(self.fields)
        if fields.get("reason") in REASON_KEYS:
            fields["reason"] = t(fields["reason"], lang)
        if "steps" in fields:
            fields["steps"] = _listed(fields["steps"], lang)
        return t(self.key, lang, **fields)


def _listed(names: list[str], lang: str, most: int = 6) -> str:
    """``a, b and c`` / ``a、b 和 c``; past ``most`` names, how many more (the catalog's words)."""
    from tutor.i18n import t

    shown, more = names[:most], len(names) - most
    sep = t("language.list_sep", lang)
    if more > 0:
        return t("listed_more", lang, shown=sep.join(shown), more=more)
    if len(shown) == 1:
        return shown[0]
    return sep.join(shown[:-1]) + t("language.and", lang) + shown[-1]


class Store:
    """The progress store; ``Store(None)`` keeps everything in memory (``--no-save``).

    Every change goes to an in-memory copy first (what the session reads) and then to
    the file, each in its own transaction. When the file cannot take it (a full disk,
    a read-only folder, a lock) the change waits in memory, the learner is told once
    (``take_notices``), and every later change and ``finish`` retries; what still
    cannot be written at the end goes to a JSON copy that ``import_copy`` adds back.
    A file deleted, emptied, replaced or damaged from outside is noticed before the
    next write and written again from the in-memory copy. ``read_only=True`` only
    reads (``progress``): it creates, moves and writes nothing.
    """

    def __init__(self, path: str | Path | None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._mem.executescript(db.SCHEMA)
        self._db: sqlite3.Connection | None = None
        self._ident: tuple[int, int] | None = None
        self._pending: list[db.Op] = []
        self._rewrite = False  # the file lost what it held: write the whole copy into it
        self._lost: Notice | None = None  # told once the file is written again
        self._fault: str | None = None  # why saving fails now (None: it works)
        self._notices: list[Notice] = []
        self._finished = False
        self.unsaved: Notice | None = None
        if self.path is not None:
            self._start()

    # -- opening --------------------------------------------------------------

    def _start(self) -> None:
        assert self.path is not None
        if self.read_only:
            self._load_read_only()
            return
        try:
            self._db = self._open_file(at_start=True)
            self._db.backup(self._mem)
            self._mem.executescript(db.SCHEMA)
        except _Stuck as exc:
            self._failed(exc.error, "reason_damaged_stuck")
        except (sqlite3.Error, OSError) as exc:
            self._close_file()
            self._load_read_only()
            self._failed(exc)

    def _load_read_only(self) -> None:
        """Fill the in-memory copy from the file without writing anything."""
        assert self.path is not None
        try:
            state = files.inspect(self.path)
            if state == "damaged":
                if self.read_only:
                    self._notify("store_damaged_read_only", path=str(self.path))
                return
            if state != "ok":
                return
            source = files.connect_read_only(self.path)
            try:
                source.backup(self._mem)
            finally:
                source.close()
            self._mem.executescript(db.SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            if self.read_only:
                reason = files.reason(self.path, exc)
                self._notify("store_unreadable", path=str(self.path), reason=reason)

    def _open_file(self, *, at_start: bool) -> sqlite3.Connection:
        """Open the file for writing, moving a damaged one aside first."""
        assert self.path is not None
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        state = files.inspect(path)
        if state == "damaged":
            self._move_aside(at_start)
        elif state == "missing" and files.leftovers(path):
            files.move_aside(path)  # the log of a file deleted before we came: kept, not replayed
        try:
            connection = _connect(path)
        except _Damaged:
            self._move_aside(at_start)
            connection = _connect(path)
        self._ident = files.identity(path)
        return connection

    def _move_aside(self, at_start: bool) -> None:
        assert self.path is not None
        try:
            moved = files.move_aside(self.path)
        except OSError as exc:
            raise _Stuck(exc) from exc
        if at_start:
            self._notify("corrupt_moved", path=str(moved))
        else:
            self._rewrite = True
            self._lost = Notice("store_damaged", {"path": str(self.path), "moved": str(moved)})

    def _close_file(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    # -- writing ----------------------------------------------------------------

    def _record(self, op: db.Op) -> None:
        db.transaction(self._mem, lambda mem: db.apply(mem, op))
        if self.path is None or self.read_only:
            return
        self._pending.append(op)
        self._flush()

    def _flush(self) -> bool:
        """Write what waits; True when the file holds everything this session knows."""
        if self.path is None or self.read_only:
            return True
        if not self._pending and not self._rewrite:
            return True
        for _ in range(2):  # once more after moving a file found damaged while writing
            try:
                self._check_file()
                if self._db is None:
                    self._db = self._open_file(at_start=False)
                db.transaction(self._db, self._write)
            except _Stuck as exc:
                self._failed(exc.error, "reason_damaged_stuck")
                return False
            except sqlite3.DatabaseError as exc:
                if not isinstance(exc, sqlite3.OperationalError) and self._damaged_now():
                    continue
                self._close_file()
                self._failed(exc)
                return False
            except OSError as exc:
                self._close_file()
                self._failed(exc)
                return False
            self._saved()
            return True
        return False

    def _write(self, connection: sqlite3.Connection) -> None:
        if self._rewrite:
            db.merge(connection, db.rows(self._mem))
        else:
            for op in self._pending:
                db.apply(connection, op)

    def _saved(self) -> None:
        assert self.path is not None
        self._pending.clear()
        self._rewrite = False
        self._ident = files.identity(self.path)
        if self._lost is not None:
            self._notices.append(self._lost)
            self._lost = None
        elif self._fault is not None:
            self._notify("store_saved_again", path=str(self.path))
        self._fault = None

    def _check_file(self) -> None:
        """Notice a file deleted, emptied, replaced or damaged since the last write."""
        assert self.path is not None
        if self._ident is None:
            return  # never opened: _open_file looks at whatever is there
        now = files.identity(self.path)
        if now is None:
            self._lost_file("store_vanished")
            files.drop_leftovers(self.path)  # the deleted file's log: this session has it all
        elif now != self._ident:
            self._lost_file("store_replaced")
            files.drop_leftovers(self.path)  # the old file's log, never to be replayed into this
        else:
            state = files.inspect_header(self.path)
            if state == "empty":
                self._lost_file("store_vanished")
                if files.inspect(self.path) != "ok":  # closing may have written pages back
                    self.path.unlink(missing_ok=True)
                    files.drop_leftovers(self.path)
            elif state == "damaged":
                self._close_file()
                self._ident = None
                self._move_aside(at_start=False)

    def _lost_file(self, key: str) -> None:
        assert self.path is not None
        self._close_file()
        self._ident = None
        self._rewrite = True
        self._lost = Notice(key, {"path": str(self.path)})

    def _damaged_now(self) -> bool:
        """After SQLite called the file damaged: move it aside if a fresh look agrees."""
        assert self.path is not None
        self._close_file()
        try:
            if files.inspect(self.path) != "damaged":
                return False
            self._ident = None
            self._move_aside(at_start=False)
        except (OSError, _Stuck):
            return False
        return True

    def _failed(self, exc: BaseException, reason: str | None = None) -> None:
        assert self.path is not None
        why = reason or files.reason(self.path, exc)
        if self._fault is None:
            self._notify("store_write_failed", path=str(self.path), reason=why)
        self._fault = why

    def _notify(self, key: str, **fields: Any) -> None:
        self._notices.append(Notice(key, fields))

    def take_notices(self) -> list[Notice]:
        """What the learner should be told since the last call (each thing once)."""
        found, self._notices = self._notices, []
        return found

    def seen(self, lesson: str, step: str) -> None:
        """Mark the step as seen (a step already passed or skipped keeps its status)."""
        self._record(db.Op("seen", lesson, step, time.time()))

    def attempt(self, lesson: str, step: str, code: str, passed: bool) -> None:
        """Count an attempt and keep its code; a pass marks the step passed."""
        self._record(db.Op("attempt", lesson, step, time.time(), [code, bool(passed)]))

    def set_status(self, lesson: str, step: str, status: str) -> None:
        """Raise the step's status to ``status`` (passed > skipped > seen)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self._record(db.Op("status", lesson, step, time.time(), status))

    def hint(self, lesson: str, step: str, count: int) -> None:
        """Record that ``count`` hints of the step have been shown."""
        self._record(db.Op("hint", lesson, step, time.time(), count))

    def add_time(self, lesson: str, step: str, seconds: float) -> None:
        """Add time spent on the step."""
        if seconds > 0:
            self._record(db.Op("time", lesson, step, time.time(), seconds))

    def set_position(self, lesson: str, step: str) -> None:
        """Remember where the learner is, to resume there."""
        self._record(db.Op("position", lesson, step, time.time()))

    # -- the end ------------------------------------------------------------------

    def finish(self) -> Notice | None:
        """Write what waits, a last time; if that fails, write it to a JSON copy.

        None when everything is saved, else the notice saying what was not saved, why,
        and where the copy is (``store_unsaved``), or, where no copy could be written
        either, the data itself (``store_unsaved_nocopy``). Kept in ``unsaved``.
        """
        if self._finished:
            return self.unsaved
        self._finished = True
        if self._flush():
            return None
        assert self.path is not None
        data = self._unsaved_data()
        fields: dict[str, Any] = {
            "path": str(self.path),
            "reason": self._fault or "",
            "steps": self._unsaved_steps(),
        }
        try:
            fields["copy"] = str(files.write_copy(data))
            self.unsaved = Notice("store_unsaved", fields)
        except OSError as exc:
            fields.update(error=str(exc), data=json.dumps(data, ensure_ascii=False))
            self.unsaved = Notice("store_unsaved_nocopy", fields)
        return self.unsaved

    def _unsaved_data(self) -> dict[str, Any]:
        return {
            "format": COPY_FORMAT,
            "id": uuid.uuid4().hex,
            "path": str(self.path),
            "written": time.strftime("%Y-%m-%d %H:%M:%S"),
            "ops": [] if self._rewrite else [op.to_json() for op in self._pending],
            "rows": db.rows(self._mem) if self._rewrite else None,
        }

    def _unsaved_steps(self) -> list[str]:
        if self._rewrite:
            pairs = [(r.lesson, r.step) for r in self.records()]
        else:
            pairs = [(op.lesson, op.step) for op in self._pending if op.kind != "import"]
        return list(dict.fromkeys(f"{lesson}.{step}" for lesson, step in pairs))

    def import_copy(self, copy: str | Path) -> int:
        """Add a JSON copy written by ``finish`` to the progress; how many changes it held
        (0 when this copy was added before). ValueError when the file is no such copy."""
        try:
            data = json.loads(Path(copy).read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(str(exc)) from exc
        if not isinstance(data, dict) or data.get("format") != COPY_FORMAT:
            raise ValueError("not a copy of unsaved progress")
        copy_id = str(data.get("id", ""))
        if self._mem.execute("SELECT 1 FROM imports WHERE id = ?", (copy_id,)).fetchone():
            return 0
        ops = [db.Op.from_json(item) for item in data.get("ops") or []]
        found = data.get("rows")
        if found:
            db.transaction(self._mem, lambda mem: db.merge(mem, found))
            self._rewrite = True
        for op in ops:
            db.transaction(self._mem, lambda mem, op=op: db.apply(mem, op))
            self._pending.append(op)
        self._record(db.Op("import", "", "", time.time(), copy_id))
        return len(ops) + len(found["steps"] if found else [])

    def close(self) -> None:
        """Finish (see ``finish``) and close the database."""
        self.finish()
        self._close_file()
        self._mem.close()

    # -- reading (the session's copy) ---------------------------------------------

    def position(self) -> tuple[str, str] | None:
        """The last (lesson, step) the learner was at, or None."""
        row = self._mem.execute("SELECT lesson, step FROM position WHERE id = 1").fetchone()
        return (row[0], row[1]) if row else None

    def get(self, lesson: str, step: str) -> StepRecord:
        """The record of one step (an empty one when never seen)."""
        row = self._mem.execute(
            "SELECT lesson, step, status, attempts, hints, last_code, seconds "
            "FROM steps WHERE lesson = ? AND step = ?",
            (lesson, step),
        ).fetchone()
        return StepRecord(*row) if row else StepRecord(lesson, step)

    def records(self) -> list[StepRecord]:
        """Every step record, ordered by lesson and first appearance."""
        rows = self._mem.execute(
            "SELECT lesson, step, status, attempts, hints, last_code, seconds "
            "FROM steps ORDER BY lesson, rowid"
        ).fetchall()
        return [StepRecord(*row) for row in rows]

    def passed_count(self) -> int:
        """How many steps have been passed."""
        return int(
            self._mem.execute("SELECT COUNT(*) FROM steps WHERE status = 'passed'").fetchone()[0]
        )

    def events(self, limit: int = 1000) -> list[tuple[float, str, str, str, str]]:
        """The latest events, oldest first."""
        rows = self._mem.execute(
            "SELECT ts, lesson, step, kind, detail FROM events ORDER BY rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return list(reversed(rows))


class _Damaged(Exception):
    """SQLite's own check found the file damaged."""


class _Stuck(Exception):
    """A damaged file could not be moved aside."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _connect(path: Path) -> sqlite3.Connection:
    """The file for writing: WAL, a busy timeout, checked, with our tables.

    Raises _Damaged when SQLite finds the file damaged; any other error (a full disk,
    a read-only folder, a lock) as it is.
    """
    # isolation_level=None: we open each transaction ourselves, one per change.
    connection = sqlite3.connect(
        str(path), timeout=10.0, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA busy_timeout = 10000")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        row = connection.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise _Damaged(f"quick_check: {row}")
        connection.executescript(db.SCHEMA)
    except sqlite3.OperationalError:
        connection.close()
        raise
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise _Damaged(str(exc)) from exc
    except _Damaged:
        connection.close()
        raise
    return connection


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
    "COPY_FORMAT",
    "EXPORT_FIELDS",
    "FILENAME",
    "Notice",
    "STATUSES",
    "Store",
    "StepRecord",
    "data_dir",
    "export",
    "export_rows",
    "resolve_path",
]
