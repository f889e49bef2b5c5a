"""The progress store under real faults: a full disk, a read-only file system, a file deleted,
emptied, overwritten or replaced while the tutor runs. Nothing answered is ever lost, and a
valid file is never taken for a damaged one."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fsfaults import Immutable, fill, free, remount

from tutor.progress import Store

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path: Path) -> Iterator[Path]:
    """Copies of unsaved progress go to a temp folder of the test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved


def _keys(store: Store) -> list[str]:
    return [n.key for n in store.take_notices()]


def _on_disk(path: Path) -> dict[str, str]:
    """What a fresh, read-only look at the file finds: step -> status."""
    store = Store(path, read_only=True)
    try:
        assert store.take_notices() == []
        return {r.step: r.status for r in store.records()}
    finally:
        store.close()


def _no_damaged_copies(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if ".corrupt-" in p.name]


# ---------------------------------------------------------------- a full disk


def test_full_disk_keeps_answers_and_saves_them_once_space_is_freed(tiny_fs: Path) -> None:
    path = tiny_fs / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "first", "x = 1", passed=True)
    assert _keys(store) == []
    fill(tiny_fs)
    store.attempt("l", "second", "x = 2", passed=True)  # no exception: kept in memory
    notices = store.take_notices()
    assert [n.key for n in notices] == ["store_write_failed"]
    assert notices[0].text("en") == (
        f"Progress cannot be saved to {path}: the disk is full. Your answers are kept in "
        "memory and saved as soon as that works again."
    )
    assert notices[0].text("zh") == (
        f"进度无法保存到 {path}：磁盘已满。你的答案先保存在内存里，一旦能写入就会立即保存。"
    )
    store.hint("l", "third", 1)
    store.set_position("l", "third")
    assert _keys(store) == []  # said once, not after every answer
    assert store.get("l", "second").status == "passed"  # the session sees what it did
    assert store.get("l", "third").hints == 1
    _no_damaged_copies(tiny_fs)
    free(tiny_fs)
    store.seen("l", "fourth")
    assert _keys(store) == ["store_saved_again"]
    assert store.finish() is None
    store.close()
    on_disk = _on_disk(path)
    assert on_disk == {"first": "passed", "second": "passed", "third": "seen", "fourth": "seen"}
    again = Store(path)
    assert again.get("l", "third").hints == 1 and again.position() == ("l", "third")
    again.close()


def test_a_full_disk_at_start_is_not_taken_for_a_damaged_file(tiny_fs: Path) -> None:
    path = tiny_fs / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "before", "x = 1", passed=True)
    store.set_position("l", "before")
    store.close()
    fill(tiny_fs)
    store = Store(path)
    assert _keys(store) == ["store_write_failed"]
    _no_damaged_copies(tiny_fs)
    assert store.position() == ("l", "before")  # still readable: the learner resumes
    assert store.get("l", "before").status == "passed"
    store.attempt("l", "during", "x = 2", passed=True)
    free(tiny_fs)
    assert store.finish() is None  # retried at exit
    store.close()
    assert _on_disk(path) == {"before": "passed", "during": "passed"}


def test_unsaved_progress_at_exit_goes_to_a_copy_that_import_adds_back(
    tiny_fs: Path, own_tempdir: Path
) -> None:
    path = tiny_fs / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "first", "x = 1", passed=True)
    fill(tiny_fs)
    store.attempt("l", "second", "x = 2", passed=False)
    store.attempt("l", "second", "x = 3", passed=True)
    store.hint("l", "third", 2)
    unsaved = store.finish()
    store.close()
    assert unsaved is not None and unsaved.key == "store_unsaved"
    copy = Path(unsaved.fields["copy"])
    assert copy.parent == own_tempdir and copy.suffix == ".json"
    assert unsaved.text("en") == (
        f"Not saved to {path} (the disk is full): your work on l.second and l.third. "
        f"A copy is in {copy}; once that is fixed, `python -m tutor progress --import {copy}` "
        "adds it back."
    )
    assert "l.second" in unsaved.text("zh") and str(copy) in unsaved.text("zh")
    data = json.loads(copy.read_text(encoding="utf-8"))
    assert data["path"] == str(path)
    free(tiny_fs)
    assert _on_disk(path) == {"first": "passed"}
    store = Store(path)
    assert store.import_copy(copy) == 3  # two attempts and a hint, each saved now
    assert store.finish() is None
    rec = store.get("l", "second")
    assert (rec.status, rec.attempts, rec.last_code) == ("passed", 2, "x = 3")
    assert store.get("l", "third").hints == 2
    assert store.import_copy(copy) == 0  # the same copy twice adds nothing
    assert store.get("l", "second").attempts == 2
    store.close()


def test_no_room_for_a_copy_either_shows_the_data_itself(
    tiny_fs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tiny_fs / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "first", "x = 1", passed=True)
    fill(tiny_fs)
    monkeypatch.setattr(tempfile, "tempdir", str(tiny_fs))  # the temp folder is full too
    monkeypatch.chdir(tiny_fs)  # and so is the current one
    store.attempt("l", "second", "x = 2", passed=True)
    unsaved = store.finish()
    store.close()
    assert unsaved is not None and unsaved.key == "store_unsaved_nocopy"
    said, _, data = unsaved.text("en").partition("\n")
    assert said.startswith(f"Not saved to {path} (the disk is full): your work on l.second, ")
    assert "no copy could be written either ([Errno 28] No space left on device" in said
    kept = tmp_path / "kept.json"
    kept.write_text(data, encoding="utf-8")  # what a learner does with the text shown
    free(tiny_fs)
    store = Store(path)
    assert store.import_copy(kept) == 1
    store.close()
    assert _on_disk(path) == {"first": "passed", "second": "passed"}


def test_a_file_size_limit_is_a_write_fault_too(tmp_path: Path) -> None:
    """The full-disk path without a mount: RLIMIT_FSIZE stops the write-ahead log growing."""
    path = tmp_path / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "first", "x = 1", passed=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    wal = (tmp_path / "progress.sqlite3-wal").stat().st_size
    resource.setrlimit(resource.RLIMIT_FSIZE, (wal, hard))
    try:
        store.attempt("l", "second", "x = 2", passed=True)
        notices = store.take_notices()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert [n.key for n in notices] == ["store_write_failed"]
    assert "the file size limit (ulimit -f) was reached" in notices[0].text("en")
    assert store.get("l", "second").status == "passed"
    store.seen("l", "third")
    assert _keys(store) == ["store_saved_again"]
    store.close()
    assert _on_disk(path) == {"first": "passed", "second": "passed", "third": "seen"}


# ---------------------------------------------------------------- a read-only home


def test_read_only_mount_with_progress_keeps_teaching(tiny_fs: Path, own_tempdir: Path) -> None:
    path = tiny_fs / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "before", "x = 1", passed=True)
    store.set_position("l", "before")
    store.close()
    remount(tiny_fs, read_only=True)
    try:
        store = Store(path)
        notices = store.take_notices()
        assert [n.key for n in notices] == ["store_write_failed"]
        assert "the file system is read-only" in notices[0].text("en")
        assert "文件系统是只读的" in notices[0].text("zh")
        assert store.position() == ("l", "before")
        store.attempt("l", "during", "x = 2", passed=True)
        assert store.get("l", "during").status == "passed"
        assert _on_disk(path) == {"before": "passed"}  # a read-only look works
        unsaved = store.finish()
        store.close()
        assert unsaved is not None and "l.during" in unsaved.text("en")
    finally:
        remount(tiny_fs, read_only=False)
    store = Store(path)
    store.import_copy(Path(unsaved.fields["copy"]))
    store.close()
    assert _on_disk(path) == {"before": "passed", "during": "passed"}


def test_read_only_mount_without_progress(tiny_fs: Path) -> None:
    home = tiny_fs / "torch-tutor"
    remount(tiny_fs, read_only=True)
    try:
        store = Store(home / "progress.sqlite3")
        assert _keys(store) == ["store_write_failed"]
        store.attempt("l", "s", "x", passed=True)
        assert store.records()[0].status == "passed"
        unsaved = store.finish()
        store.close()
        assert unsaved is not None and Path(unsaved.fields["copy"]).is_file()
    finally:
        remount(tiny_fs, read_only=False)
    assert not home.exists()


def test_unwritable_folder_without_a_mount(tmp_path: Path) -> None:
    """The read-only path where mounting is not allowed: an immutable folder and file."""
    home = tmp_path / "home"
    home.mkdir()
    path = home / "progress.sqlite3"
    store = Store(path)
    store.attempt("l", "before", "x = 1", passed=True)
    store.close()
    with Immutable(home):
        store = Store(path)
        notices = store.take_notices()
        assert [n.key for n in notices] == ["store_write_failed"]
        assert "permission denied" in notices[0].text("en")
        assert store.get("l", "before").status == "passed"
        store.attempt("l", "during", "x = 2", passed=True)
        assert _on_disk(path) == {"before": "passed"}
    store.seen("l", "after")  # the folder is writable again: everything goes in
    assert _keys(store) == ["store_saved_again"]
    store.close()
    assert _on_disk(path) == {"before": "passed", "during": "passed", "after": "seen"}


def test_reading_commands_work_on_a_read_only_home(tiny_fs: Path, tmp_path: Path) -> None:
    home = tiny_fs / "torch-tutor"
    store = Store(home / "progress.sqlite3")
    store.attempt("e2e-basics", "zeros", "x", passed=True)
    store.close()
    answer = tmp_path / "answer.txt"
    answer.write_text("2\n", encoding="utf-8")
    lessons = str(ROOT / "tests" / "e2e" / "lessons")

    def tutor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, "-m", "tutor", "--lang", "en", "--lessons", lessons, *args],
            cwd=str(ROOT),
            env={**os.environ, "TUTOR_HOME": str(home), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    remount(tiny_fs, read_only=True)
    try:
        shown, listed, checked = (
            tutor("progress", "--json"),
            tutor("lessons"),
            tutor("check", "e2e-basics", "pick", str(answer)),
        )
    finally:
        remount(tiny_fs, read_only=False)
    for done in (shown, listed, checked):
        assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(shown.stdout)["steps"][0]["status"] == "passed"
    assert "e2e-basics" in listed.stdout and checked.stdout.endswith("Passed.\n")


# ---------------------------------------------------------------- the file changed from outside


def _session_with_saved_work(path: Path) -> Store:
    store = Store(path)
    for i in range(3):
        store.attempt("l", f"s{i}", f"x = {i}", passed=True)
    store.close()  # everything now in the main file, not only in the log
    store = Store(path)
    store.attempt("l", "s3", "x = 3", passed=True)
    return store


def test_file_deleted_mid_session_is_written_again(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    store = _session_with_saved_work(path)
    path.unlink()
    store.attempt("l", "s4", "x = 4", passed=True)
    notices = store.take_notices()
    assert [n.key for n in notices] == ["store_vanished"]
    assert notices[0].text("en") == (
        f"The progress file {path} was deleted or emptied while the tutor ran; it has been "
        "written again from this session's copy."
    )
    store.close()
    assert _on_disk(path) == {f"s{i}": "passed" for i in range(5)}


def test_whole_folder_deleted_mid_session_is_written_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = home / "progress.sqlite3"
    store = _session_with_saved_work(path)
    shutil.rmtree(home)
    store.attempt("l", "s4", "x = 4", passed=True)
    assert _keys(store) == ["store_vanished"]
    assert store.finish() is None
    store.close()
    assert _on_disk(path) == {f"s{i}": "passed" for i in range(5)}


def test_file_emptied_mid_session_is_written_again(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    store = _session_with_saved_work(path)
    path.write_bytes(b"")
    store.hint("l", "s4", 1)
    assert _keys(store) == ["store_vanished"]
    store.close()
    assert _on_disk(path) == {**{f"s{i}": "passed" for i in range(4)}, "s4": "seen"}


def test_file_overwritten_mid_session_is_moved_aside_and_written_again(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    store = _session_with_saved_work(path)
    with path.open("r+b") as f:
        f.write(b"not a database " * 300)
    store.attempt("l", "s4", "x = 4", passed=True)
    notices = store.take_notices()
    assert [n.key for n in notices] == ["store_damaged"]
    moved = Path(notices[0].fields["moved"])
    assert moved.read_bytes().startswith(b"not a database")
    assert notices[0].text("en") == (
        f"The progress file {path} was damaged while the tutor ran; it was moved to {moved} "
        "and written again from this session's copy."
    )
    store.close()
    assert _on_disk(path) == {f"s{i}": "passed" for i in range(5)}


def test_file_replaced_by_another_database_keeps_both(tmp_path: Path) -> None:
    """A backup copied over the file while the tutor runs: its steps and this session's."""
    path, backup = tmp_path / "progress.sqlite3", tmp_path / "backup.sqlite3"
    other = Store(backup)
    other.attempt("old", "kept", "y = 1", passed=True)
    other.close()
    store = _session_with_saved_work(path)
    shutil.copy(backup, tmp_path / "incoming")
    os.replace(tmp_path / "incoming", path)
    store.attempt("l", "s4", "x = 4", passed=True)
    assert _keys(store) == ["store_replaced"]
    store.close()
    assert _on_disk(path) == {"kept": "passed", **{f"s{i}": "passed" for i in range(5)}}


# ---------------------------------------------------------------- what counts as damaged


def test_a_valid_header_with_broken_pages_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    store = Store(path)
    for i in range(200):
        store.attempt("l", f"s{i}", "x" * 200, passed=True)
    store.close()
    with path.open("r+b") as f:  # keep the 100-byte header, break the pages after it
        f.seek(4096)
        f.write(b"\xff" * 8192)
    store = Store(path)
    assert _keys(store) == ["corrupt_moved"]
    store.close()


def test_the_read_only_view_of_a_damaged_file_moves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    store = Store(path, read_only=True)
    notices = store.take_notices()
    assert [n.key for n in notices] == ["store_damaged_read_only"]
    assert str(path) in notices[0].text("en")
    assert store.records() == []
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.sqlite3", "tmp"]


def test_a_database_of_another_program_is_not_damaged(tmp_path: Path) -> None:
    """A valid SQLite file without our tables gets them; nothing is moved."""
    path = tmp_path / "progress.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (t TEXT)")
    db.commit()
    db.close()
    store = Store(path)
    assert _keys(store) == []
    store.attempt("l", "s", "x", passed=True)
    store.close()
    assert _on_disk(path) == {"s": "passed"}


def test_the_unsaved_steps_are_listed_in_the_learners_language() -> None:
    from tutor.progress import Notice

    def said(names: list[str], lang: str) -> str:
        fields = {"path": "p.db", "reason": "reason_full", "steps": names, "copy": "c.json"}
        return Notice("store_unsaved", fields).text(lang)

    three = ["a.x", "a.y", "b.z"]
    eight = [f"s.{i}" for i in range(8)]
    assert "your work on a.x, a.y and b.z." in said(three, "en")
    assert "your work on s.0, s.1, s.2, s.3, s.4, s.5 and 2 more." in said(eight, "en")
    assert "（磁盘已满）：你在这些步骤上的进度：a.x、a.y 和 b.z。" in said(three, "zh")
    assert "：s.0、s.1、s.2、s.3、s.4、s.5，以及另外 2 个步骤。" in said(eight, "zh")
