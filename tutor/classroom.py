"""The class report: many learners' progress stores (or their exports), read together.

``read(paths)`` finds every progress store (a SQLite file) and every export
(``progress --export csv|json``, ``progress --json``) under ``paths`` and reads each as
a ``Learner``: who (the ``--name`` in the store, else the file's name), where they are,
what they passed (and with what help), their attempts at the current step and the time
spent there, when they last did anything, and the feedback ids and failing checks of
their attempts. ``Report`` puts them together: who is where, who is stuck, the most
common mistakes per step, the passes made with help. Stores are opened read-only:
reading a class changes nothing.

UI side: never imports torch.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tutor.progress import Store
from tutor.progress import counted as _counted

_HEADER = b"SQLite format 3\x00"
_DONE = ("passed", "skipped")
STUCK_ATTEMPTS = 3
STUCK_MINUTES = 10.0


@dataclass(frozen=True)
class StepState:
    """One learner's state at one step."""

    lesson: str
    step: str
    status: str = ""
    assisted: str = ""
    attempts: int = 0
    seconds: float = 0.0
    feedback: dict[str, int] = field(default_factory=dict)  # id -> failing attempts with it
    checks: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.lesson}.{self.step}"


@dataclass(frozen=True)
class Learner:
    """One learner, as read from a store or an export."""

    name: str
    source: str
    steps: tuple[StepState, ...]
    position: tuple[str, str] | None = None
    last_activity: float | None = None

    def at(self) -> StepState | None:
        """The state of the step the learner is at now."""
        for state in self.steps:
            if self.position == (state.lesson, state.step):
                return state
        return None

    @property
    def passed(self) -> list[StepState]:
        return [s for s in self.steps if s.status == "passed"]

    @property
    def helped(self) -> list[StepState]:
        """Steps passed with the solution shown or every hint used."""
        return [s for s in self.passed if s.assisted in ("hints", "solution")]


# ---------------------------------------------------------------- reading


def read(paths: Iterable[str | Path], lang: str = "en") -> tuple[list[Learner], list[str]]:
    """Every learner under ``paths`` (files, or folders searched), and what could not be read
    (``path: why``, in ``lang`` where the store says it)."""
    learners: list[Learner] = []
    problems: list[str] = []
    for path in _candidates(paths, problems):
        try:
            learner = read_one(path, lang)
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if learner is not None:
            learners.append(learner)
    return learners, problems


def _candidates(paths: Iterable[str | Path], problems: list[str]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and (p.suffix.lower() in (".json", ".csv") or _is_store(p))
            )
        elif path.is_file():
            found.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def _is_store(path: Path) -> bool:
    if path.name.endswith(("-wal", "-shm", ".tmp")) or ".corrupt-" in path.name:
        return False
    try:
        with path.open("rb") as f:
            return f.read(len(_HEADER)) == _HEADER
    except OSError:
        return False


def read_one(path: Path, lang: str = "en") -> Learner | None:
    """A learner from one store or export; ValueError when the file is neither."""
    if _is_store(path):
        return _from_store(path, lang)
    if path.suffix.lower() == ".json":
        return _from_rows(path, _json_rows(json.loads(path.read_text(encoding="utf-8"))))
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            return _from_rows(path, list(csv.DictReader(f)))
    raise ValueError("neither a progress store nor an export")


def _default_name(path: Path) -> str:
    """A learner's name from a file: ``ada.sqlite3`` -> ada, ``ada/progress.sqlite3`` -> ada."""
    stem = path.name.split(".")[0]
    return path.parent.name if stem in ("progress", "export", "") else stem


def _from_store(path: Path, lang: str) -> Learner:
    store = Store(path, read_only=True)
    try:
        trouble = store.take_notices()  # damaged, unreadable: said, not taken for empty
        if trouble:
            raise ValueError(trouble[0].text(lang))
        records = store.records()
        attempts = store.attempts()
        position, name, last = store.position(), store.name(), store.last_activity()
    finally:
        store.close()
    ids: dict[tuple[str, str], Counter[str]] = {}
    checks: dict[tuple[str, str], Counter[str]] = {}
    for a in attempts:
        if not a.passed:
            ids.setdefault((a.lesson, a.step), Counter()).update(a.feedback)
            checks.setdefault((a.lesson, a.step), Counter()).update(a.checks)
    steps = tuple(
        StepState(
            r.lesson,
            r.step,
            r.status,
            r.assisted if r.status == "passed" else "",
            r.attempts,
            r.seconds,
            dict(ids.get((r.lesson, r.step), Counter())),
            dict(checks.get((r.lesson, r.step), Counter())),
        )
        for r in records
    )
    return Learner(name or _default_name(path), str(path), steps, position, last)


def _json_rows(data: Any) -> list[dict[str, Any]]:
    """The step rows of ``progress --export json`` (a list) or ``progress --json`` (an
    object with ``steps``)."""
    if isinstance(data, dict) and isinstance(data.get("steps"), list):
        return [
            dict(row, learner=row.get("learner") or data.get("learner", ""))
            for row in data["steps"]
        ]
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return data
    raise ValueError("not a progress export")


def _from_rows(path: Path, rows: Sequence[dict[str, Any]]) -> Learner | None:
    if rows and not {"lesson", "step", "status"} <= set(rows[0]):
        raise ValueError("not a progress export")
    steps, position, last, name = [], None, None, ""
    for row in rows:
        state = StepState(
            str(row["lesson"]),
            str(row["step"]),
            str(row.get("status") or ""),
            str(row.get("assisted") or ""),
            int(row.get("attempts") or 0),
            float(row.get("seconds") or 0),
            _counts(row.get("feedback_ids")),
            _counts(row.get("failing_checks")),
        )
        steps.append(state)
        name = name or str(row.get("learner") or "")
        if row.get("current") in (True, "true", "True", "1"):
            position = (state.lesson, state.step)
        when = _when(row.get("last_activity"))
        if when is not None and (last is None or when > last):
            last = when
    return Learner(name or _default_name(path), str(path), tuple(steps), position, last)


def _counts(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    return _counted(str(value or ""))


def _when(value: Any) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class Mistake:
    """A feedback id (or a failing check) at a step: failing attempts with it, and learners."""

    name: str
    count: int
    learners: int


@dataclass(frozen=True)
class StepMistakes:
    """What went wrong at one step across the class."""

    step: str  # lesson.step
    failing: int  # failing attempts
    learners: int  # learners with a failing attempt
    ids: tuple[Mistake, ...]
    checks: tuple[Mistake, ...]


@dataclass(frozen=True)
class Report:
    """The class at a moment: every learner, the stuck ones, mistakes per step."""

    learners: tuple[Learner, ...]
    now: float
    stuck_attempts: int = STUCK_ATTEMPTS
    stuck_minutes: float = STUCK_MINUTES

    def stuck(self, learner: Learner) -> bool:
        """Not done with the current step after many attempts or a long time."""
        here = learner.at()
        if here is None or here.status in _DONE:
            return False
        return here.attempts >= self.stuck_attempts or here.seconds >= self.stuck_minutes * 60

    def idle(self, learner: Learner) -> float | None:
        """Seconds since the learner last did anything."""
        return None if learner.last_activity is None else max(0.0, self.now - learner.last_activity)

    def stuck_learners(self) -> list[Learner]:
        """The stuck ones, most attempts (then most time) first."""
        found = [learner for learner in self.learners if self.stuck(learner)]
        return sorted(found, key=lambda le: (-(le.at() or StepState("", "")).attempts, le.name))

    def mistakes(self, most: int = 5) -> list[StepMistakes]:
        """Per step, the most common feedback ids and failing checks; steps with the most
        failing attempts first."""
        ids: dict[str, Counter[str]] = {}
        checks: dict[str, Counter[str]] = {}
        who_ids: dict[tuple[str, str], set[str]] = {}
        who_checks: dict[tuple[str, str], set[str]] = {}
        failing: Counter[str] = Counter()
        who: dict[str, set[str]] = {}
        for learner in self.learners:
            for state in learner.steps:
                wrong = state.attempts - (1 if state.status == "passed" else 0)
                if wrong <= 0 and not state.feedback:
                    continue
                failing[state.name] += max(wrong, 0)
                who.setdefault(state.name, set()).add(learner.source)
                for key, n in state.feedback.items():
                    ids.setdefault(state.name, Counter())[key] += n
                    who_ids.setdefault((state.name, key), set()).add(learner.source)
                for key, n in state.checks.items():
                    checks.setdefault(state.name, Counter())[key] += n
                    who_checks.setdefault((state.name, key), set()).add(learner.source)
        found = []
        for name, count in sorted(failing.items(), key=lambda item: (-item[1], item[0])):
            found.append(
                StepMistakes(
                    name,
                    count,
                    len(who.get(name, ())),
                    _top(ids.get(name, Counter()), who_ids, name, most),
                    _top(checks.get(name, Counter()), who_checks, name, most),
                )
            )
        return [m for m in found if m.failing or m.ids]

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON."""
        return {
            "now": _iso(self.now),
            "stuck_rule": {"attempts": self.stuck_attempts, "minutes": self.stuck_minutes},
            "learners": [self.learner_json(le) for le in self.learners],
            "stuck": [le.name for le in self.stuck_learners()],
            "mistakes": [
                {
                    "step": m.step,
                    "failing_attempts": m.failing,
                    "learners": m.learners,
                    "feedback_ids": [vars(x) for x in m.ids],
                    "failing_checks": [vars(x) for x in m.checks],
                }
                for m in self.mistakes()
            ],
            "passes_with_help": [
                {"learner": le.name, "step": s.name, "help": s.assisted}
                for le in self.learners
                for s in le.helped
            ],
        }

    def learner_json(self, learner: Learner) -> dict[str, Any]:
        here = learner.at()
        return {
            "name": learner.name,
            "source": learner.source,
            "at": here.name if here else None,
            "status": here.status if here else "",
            "attempts_here": here.attempts if here else 0,
            "seconds_here": round(here.seconds, 1) if here else 0,
            "passed": len(learner.passed),
            "passed_with_help": len(learner.helped),
            "last_activity": _iso(learner.last_activity),
            "idle_seconds": None if self.idle(learner) is None else round(self.idle(learner) or 0),
            "stuck": self.stuck(learner),
        }


def _top(
    counts: Counter[str], who: dict[tuple[str, str], set[str]], step: str, most: int
) -> tuple[Mistake, ...]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:most]
    return tuple(Mistake(key, n, len(who.get((step, key), ()))) for key, n in ranked)


def _iso(ts: float | None) -> str:
    from tutor.progress import stamp

    return stamp(ts)


CSV_LEARNERS = (
    "name",
    "source",
    "at",
    "status",
    "attempts_here",
    "seconds_here",
    "passed",
    "passed_with_help",
    "last_activity",
    "idle_seconds",
    "stuck",
)
CSV_MISTAKES = ("step", "kind", "name", "count", "learners")


def to_csv(report: Report, table: str = "learners") -> str:
    """``learners``: one line per learner; ``mistakes``: one line per feedback id or failing
    check at a step (``kind``: ``feedback`` or ``check``)."""
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table == "mistakes":
        writer.writerow(CSV_MISTAKES)
        for m in report.mistakes(most=1000):
            for kind, items in (("feedback", m.ids), ("check", m.checks)):
                for item in items:
                    writer.writerow([m.step, kind, item.name, item.count, item.learners])
        return out.getvalue()
    writer.writerow(CSV_LEARNERS)
    for learner in report.learners:
        row = report.learner_json(learner)
        writer.writerow(
            [
                ""
                if row[k] is None
                else str(row[k]).lower()
                if isinstance(row[k], bool)
                else row[k]
                for k in CSV_LEARNERS
            ]
        )
    return out.getvalue()


def report(
    learners: Sequence[Learner],
    now: float | None = None,
    stuck_attempts: int = STUCK_ATTEMPTS,
    stuck_minutes: float = STUCK_MINUTES,
) -> Report:
    """The report on ``learners`` at ``now`` (default: this moment)."""
    return Report(
        tuple(sorted(learners, key=lambda le: le.name.lower())),
        time.time() if now is None else now,
        stuck_attempts,
        stuck_minutes,
    )


__all__ = [
    "CSV_LEARNERS",
    "CSV_MISTAKES",
    "Learner",
    "Mistake",
    "Report",
    "StepMistakes",
    "StepState",
    "read",
    "read_one",
    "report",
    "to_csv",
]
