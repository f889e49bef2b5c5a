"""The file under the progress store: is it a database, moving a damaged one aside, why a
write failed, and the copy of what could not be saved.

Private to :mod:`tutor.progress`. "Damaged" is decided by looking at the file (its
header, then SQLite's own ``quick_check``), never by a failed write: a full disk, a
read-only folder or a lock is the environment's fault, and the file stays where it is.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

HEADER = b"SQLite format 3\x00"
SIDECARS = ("-wal", "-shm")

# A reason is an i18n key (translated when shown) or, for an error we cannot name, its text.
_ERRNO_REASONS = {
    errno.ENOSPC: "reason_full",
    errno.EDQUOT: "reason_quota",
    errno.EROFS: "reason_read_only",
    errno.EACCES: "reason_denied",
    errno.EPERM: "reason_denied",
    errno.EFBIG: "reason_size_limit",
}
REASON_KEYS = frozenset(_ERRNO_REASONS.values()) | {"reason_locked", "reason_damaged_stuck"}


def inspect_header(path: Path) -> str:
    """``"missing"``, ``"empty"``, ``"damaged"`` (not SQLite's header) or ``"ok"``: the
    cheap look taken before every write; an OSError when the file cannot be read."""
    try:
        with path.open("rb") as f:
            head = f.read(len(HEADER))
    except FileNotFoundError:
        return "missing"
    if not head:
        return "empty"
    return "ok" if head == HEADER else "damaged"


def inspect(path: Path) -> str:
    """Like ``inspect_header``, and a file with the right header is opened read-only and
    checked by SQLite (``quick_check``): ``"damaged"`` only when SQLite says so."""
    state = inspect_header(path)
    if state != "ok":
        return state
    try:
        db = connect_read_only(path)
    except sqlite3.OperationalError:
        return "ok"  # cannot be opened here (locked, no room for its index): not damage
    except sqlite3.DatabaseError:
        return "damaged"
    try:
        row = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.OperationalError:
        return "ok"
    except sqlite3.DatabaseError:
        return "damaged"
    finally:
        db.close()
    return "ok" if row is not None and row[0] == "ok" else "damaged"


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes, creates or moves anything.

    A database in WAL mode needs its ``-shm`` index to be read; in a read-only or full
    folder where none can be created, the file is opened as immutable instead (its
    committed content, without the log of a writer that is still running).
    """
    uri = Path(path).absolute().as_uri()
    last: sqlite3.Error | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(uri + query, uri=True, timeout=10.0, check_same_thread=False)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            last = exc
            continue
    assert last is not None
    raise last


def move_aside(path: Path) -> Path:
    """Rename a damaged file and its -wal/-shm (whichever exist) to ``NAME.corrupt-STAMP``;
    the new name of the main file."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while moved.exists():
        n += 1
        moved = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", *SIDECARS):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, moved.with_name(moved.name + suffix))
    return moved


def leftovers(path: Path) -> list[Path]:
    """The -wal/-shm files beside ``path``."""
    return [p for s in SIDECARS if (p := path.with_name(path.name + s)).exists()]


def drop_leftovers(path: Path) -> None:
    """Remove the -wal/-shm of a database file that is gone or empty, so that a log written
    for the old file is never replayed into a new one."""
    for side in leftovers(path):
        side.unlink(missing_ok=True)


def identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def reason(path: Path, exc: BaseException) -> str:
    """Why writing ``path`` failed, as a reason key (or the error's own words).

    SQLite says "disk I/O error" or "unable to open database file" for many causes, so
    the folder is asked directly: a small file is written there and its errno kept.
    """
    if isinstance(exc, OSError) and exc.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[exc.errno]
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "reason_locked"
    if "disk is full" in text:
        return "reason_full"
    if _over_size_limit(path):
        return "reason_size_limit"
    probed = _probe(path.parent)
    if probed is not None and probed.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[probed.errno]
    if "readonly" in text:
        return "reason_read_only"
    return text


def _over_size_limit(path: Path) -> bool:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return False
    sizes = [0]
    for name in (path.name, *(path.name + s for s in SIDECARS)):
        try:
            sizes.append(os.stat(path.with_name(name)).st_size)
        except OSError:
            pass
    return max(sizes) + 65536 >= soft


def _probe(folder: Path) -> OSError | None:
    """The error writing a few KiB into ``folder`` gives, or None when that works."""
    target = folder
    while not target.exists() and target != target.parent:
        target = target.parent  # a folder that is not there yet: ask where it would be made
    try:
        fd, name = tempfile.mkstemp(prefix=".torch-tutor-probe-", dir=target)
    except OSError as exc:
        return exc
    try:
        os.write(fd, b"\0" * 16384)
        os.fsync(fd)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
        os.unlink(name)
    return None


def write_copy(data: dict[str, Any]) -> Path:
    """Write ``data`` as JSON to a new private file in the temp folder (else the current
    folder); its path. Raises OSError when neither can hold it."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    error: OSError | None = None
    for folder in (tempfile.gettempdir(), os.getcwd()):
        try:
            fd, name = tempfile.mkstemp(
                prefix=f"torch-tutor-unsaved-{stamp}-", suffix=".json", dir=folder
            )
        except OSError as exc:
            error = exc
            continue
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            return Path(name)
        except OSError as exc:
            error = exc
            os.unlink(name)
    assert error is not None
    raise error


__all__ = [
    "HEADER",
    "REASON_KEYS",
    "connect_read_only",
    "drop_leftovers",
    "identity",
    "inspect",
    "inspect_header",
    "leftovers",
    "move_aside",
    "reason",
    "write_copy",
]
