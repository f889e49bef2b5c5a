"""The class report (tutor.classroom): reading stores and exports, stuck, mistakes, help."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

from tutor import classroom, progress
from tutor.progress import Store


def _learner(folder: Path, name: str, *, tries: int = 0, minutes: float = 0.0) -> Path:
    path = folder / f"{name.lower()}.sqlite3"
    store = Store(path)
    store.set_name(name)
    store.attempt("les", "one", "a", True)
    store.seen("les", "two")
    store.set_position("les", "two")
    for _ in range(tries):
        store.attempt("les", "two", "b", False, ["same-mistake"], ["y.values"])
    store.add_time("les", "two", minutes * 60)
    store.close()
    return path


def test_stuck_by_tries_or_by_time_and_never_when_passed(tmp_path: Path) -> None:
    _learner(tmp_path, "Tries", tries=3)
    _learner(tmp_path, "Slow", minutes=11)
    _learner(tmp_path, "Fine", tries=2, minutes=3)
    learners, problems = classroom.read([tmp_path])
    assert problems == []
    report = classroom.report(learners)
    assert [le.name for le in report.stuck_learners()] == ["Tries", "Slow"]
    strict = classroom.report(learners, stuck_attempts=2, stuck_minutes=60)
    assert {le.name for le in strict.stuck_learners()} == {"Tries", "Fine"}


def test_idle_time_is_measured_from_the_last_activity(tmp_path: Path) -> None:
    learners, _ = classroom.read([_learner(tmp_path, "Ada")])
    later = classroom.report(learners, now=(learners[0].last_activity or 0) + 600)
    assert later.learner_json(learners[0])["idle_seconds"] == 600


def test_mistakes_per_step_count_tries_and_learners(tmp_path: Path) -> None:
    for name, tries in (("A", 1), ("B", 3), ("C", 2)):
        _learner(tmp_path, name, tries=tries)
    report = classroom.report(classroom.read([tmp_path])[0])
    (two,) = report.mistakes()
    assert (two.step, two.failing, two.learners) == ("les.two", 6, 3)
    assert [(m.name, m.count, m.learners) for m in two.ids] == [("same-mistake", 6, 3)]
    rows = list(csv.DictReader(io.StringIO(classroom.to_csv(report, "mistakes"))))
    assert rows[0] == {
        "step": "les.two",
        "kind": "feedback",
        "name": "same-mistake",
        "count": "6",
        "learners": "3",
    }


def test_a_name_comes_from_the_store_else_the_file(tmp_path: Path) -> None:
    (tmp_path / "bo").mkdir()
    store = Store(tmp_path / "bo" / "progress.sqlite3")
    store.seen("les", "one")
    store.close()
    store = Store(tmp_path / "cleo.db")
    store.seen("les", "one")
    store.close()
    names = sorted(le.name for le in classroom.read([tmp_path])[0])
    assert names == ["bo", "cleo"]


def test_exports_read_back_like_the_store(tmp_path: Path) -> None:
    path = _learner(tmp_path, "Ada", tries=2)
    store = Store(path, read_only=True)
    about = {"learner": store.name(), "position": store.position(), "attempts": store.attempts()}
    records = store.records()
    store.close()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.csv").write_text(progress.export(records, "csv", **about))
    (tmp_path / "out" / "a.json").write_text(progress.export(records, "json", **about))
    wrapped = {"learner": "Ada", "steps": progress.export_rows(records, **about)}
    (tmp_path / "out" / "b.json").write_text(json.dumps(wrapped))
    direct = classroom.report(classroom.read([path])[0]).to_json()
    for export in ("a.csv", "a.json", "b.json"):
        learners, problems = classroom.read([tmp_path / "out" / export])
        assert problems == []
        again = classroom.report(learners, now=0).to_json()
        assert again["mistakes"] == direct["mistakes"], export
        (one,) = again["learners"]
        assert (one["name"], one["at"], one["attempts_here"]) == ("Ada", "les.two", 2)


def test_what_cannot_be_read_is_named_and_left_out(tmp_path: Path) -> None:
    _learner(tmp_path, "Ada")
    (tmp_path / "broken.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\xff" * 500)
    (tmp_path / "other.json").write_text('{"a": 1}')
    (tmp_path / "ada.sqlite3-wal").write_bytes(b"")
    learners, problems = classroom.read([tmp_path, tmp_path / "missing"])
    assert [le.name for le in learners] == ["Ada"]
    assert {Path(p.split(":")[0]).name for p in problems} == {
        "broken.sqlite3",
        "other.json",
        "missing",
    }


def test_reading_a_class_writes_nothing(tmp_path: Path) -> None:
    path = _learner(tmp_path, "Ada")
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    classroom.read([tmp_path])
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp


def test_passes_with_help_are_listed(tmp_path: Path) -> None:
    store = Store(tmp_path / "cy.sqlite3")
    store.set_name("Cy")
    store.helped("les", "one", "solution")
    store.attempt("les", "one", "a", True)
    store.helped("les", "two", "hints")
    store.attempt("les", "two", "b", True)
    store.close()
    report = classroom.report(classroom.read([tmp_path])[0], now=time.time())
    assert report.to_json()["passes_with_help"] == [
        {"learner": "Cy", "step": "les.one", "help": "solution"},
        {"learner": "Cy", "step": "les.two", "help": "hints"},
    ]
