"""The built-in course covers the syllabus, in both languages, and docs/course.md maps it
truthfully."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from tutor.course import load_course
from tutor.course.files import course_dirs
from tutor.course.lesson import DETECTOR_IDS, Lesson, Step, Text

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "course.md"
CHECKED = ("code", "quiz", "predict")
SECTIONS = range(0, 15)
# Backticked `a.b` in the doc's tables that are Python, not `lesson.step` ids.
PYTHON_NAMES = {"torch", "x", "y", "t", "g", "np", "model"}
STEP_ID = re.compile(r"`([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)`")
# A bracketed list of read steps that introduce a bullet, e.g. [`numpy.bridge`].
READ_REFS = re.compile(r"\[((?:`[a-z][a-z0-9.-]*`(?:, )?)+)\]")


@pytest.fixture(scope="module")
def course() -> list[Lesson]:
    lessons, errors = load_course(course_dirs())
    assert not [e for e in errors if not e.lint], [str(e) for e in errors]
    return lessons


def all_steps(course: list[Lesson]) -> list[tuple[Lesson, Step]]:
    return [(lesson, step) for lesson in course for step in lesson.steps]


def step_kinds(course: list[Lesson]) -> dict[tuple[str, str], str]:
    """(lesson id, step id) -> kind."""
    return {(lesson.id, s.id): s.kind for lesson, s in all_steps(course)}


def doc_sections() -> dict[str, list[list[str]]]:
    """Each ``## `` heading of docs/course.md and the body rows of the tables under it."""
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set("".join(cells)) <= set("-: "):
                continue  # the separator row
            sections[current].append(cells)
    # Each section holds one table: drop its header row.
    return {name: rows[1:] for name, rows in sections.items()}


def syllabus_tables() -> dict[int, list[list[str]]]:
    tables: dict[int, list[list[str]]] = {}
    for name, rows in doc_sections().items():
        m = re.match(r"(\d+)\. ", name)
        if m:
            tables[int(m.group(1))] = rows
    return tables


# --- docs/course.md --------------------------------------------------------------------------


def test_every_syllabus_section_has_a_table_with_rows():
    tables = syllabus_tables()
    assert sorted(tables) == list(SECTIONS)
    for section, rows in tables.items():
        assert rows, f"section {section} has no rows"
        assert all(len(r) == 2 and r[0] and r[1] for r in rows), (section, rows)


def test_every_step_named_in_the_doc_exists(course):
    ids = {(lesson.id, s.id): s for lesson, s in all_steps(course)}
    lessons = {lesson.id for lesson in course}
    named: list[tuple[str, str]] = []
    for section, rows in syllabus_tables().items():
        for _bullet, checked_by in rows:
            for lesson_id, step_id in STEP_ID.findall(checked_by):
                if lesson_id in PYTHON_NAMES:
                    continue
                assert lesson_id in lessons, f"section {section}: unknown lesson `{lesson_id}`"
                assert (lesson_id, step_id) in ids, (
                    f"section {section}: no step `{lesson_id}.{step_id}`"
                )
                named.append((lesson_id, step_id))
    assert len(named) > 140


def test_each_row_names_a_checked_step_or_says_it_is_a_gap(course):
    kinds = step_kinds(course)
    gaps = DOC.read_text(encoding="utf-8").split("## Gaps", 1)[1]
    for section, rows in syllabus_tables().items():
        for bullet, checked_by in rows:
            outside = READ_REFS.sub("", checked_by)  # bracketed ids are read steps
            checked = [
                kinds[(lesson_id, s)]
                for lesson_id, s in STEP_ID.findall(outside)
                if lesson_id not in PYTHON_NAMES
            ]
            if not any(k in CHECKED for k in checked):
                assert "not checked" in checked_by and "Gaps" in checked_by, (section, bullet)
                assert f"**{section}," in gaps, f"section {section} gap not listed: {bullet}"


def test_bracketed_ids_are_read_steps(course):
    kinds = step_kinds(course)
    for rows in syllabus_tables().values():
        for _bullet, checked_by in rows:
            for bracket in READ_REFS.findall(checked_by):
                for ids in STEP_ID.findall(bracket):
                    assert kinds[ids] == "read", ids


def test_counts_in_the_doc_match_the_course(course):
    rows = doc_sections()["Counts"]
    table = {r[0].strip("`"): r for r in rows if not r[0].startswith("**")}
    assert set(table) == {lesson.id for lesson in course}
    total = Counter()
    for lesson in course:
        kinds = Counter(s.kind for s in lesson.steps)
        total += kinds
        want = (
            [str(lesson.section)]
            + [str(kinds[k]) for k in ("read", *CHECKED)]
            + [str(sum(kinds[k] for k in CHECKED))]
        )
        assert table[lesson.id][1:] == want, lesson.id
    total_row = next(r for r in rows if r[0] == "**total**")
    assert total_row[2:] == [str(total[k]) for k in ("read", *CHECKED)] + [
        str(sum(total[k] for k in CHECKED))
    ]


# --- the course itself ------------------------------------------------------------------------


def test_course_has_at_least_60_checked_steps(course):
    assert sum(1 for _, s in all_steps(course) if s.kind in CHECKED) >= 60


def test_lessons_cover_sections_0_to_14_in_order(course):
    sections = [lesson.section for lesson in course]
    assert sorted(set(sections)) == list(SECTIONS)
    # The file names sort in section order too, so a folder listing reads as the course.
    by_file = [
        lesson.section for lesson in sorted(course, key=lambda lesson: Path(lesson.path).name)
    ]
    assert by_file == sorted(by_file)


def bilingual(text: Text) -> bool:
    return bool(text.en.strip()) and bool(text.zh.strip())


def test_every_learner_facing_text_is_in_english_and_chinese(course):
    missing: list[str] = []
    for lesson in course:
        if not bilingual(lesson.title):
            missing.append(f"{lesson.id}: title")
        for step in lesson.steps:
            where = f"{lesson.id}.{step.id}"
            texts = {"title": step.title, "text": step.text}
            texts |= {f"choices[{i}]": c for i, c in enumerate(step.choices)}
            texts |= {f"items[{i}]": c for i, c in enumerate(step.items)}
            texts |= {f"hints[{i}]": h for i, h in enumerate(step.hints)}
            texts |= {f"feedback `{f.id}`": f.message for f in step.feedback}
            if step.kind in ("quiz", "predict"):
                texts["explanation"] = step.explanation
            missing += [f"{where}: {k}" for k, t in texts.items() if not bilingual(t)]
    assert not missing, missing


def test_every_code_step_has_solution_traps_hints_and_feedback(course):
    problems: list[str] = []
    for lesson, step in all_steps(course):
        if step.kind != "code":
            continue
        where = f"{lesson.id}.{step.id}"
        if not step.solution.strip():
            problems.append(f"{where}: no reference solution")
        if len(step.traps) < 2:
            problems.append(f"{where}: {len(step.traps)} trap(s)")
        if (
            sum(1 for h in step.hints if h.en.strip()) < 2
            or sum(1 for h in step.hints if h.zh.strip()) < 2
        ):
            problems.append(f"{where}: fewer than 2 hints in a language")
        ids = {f.id for f in step.feedback} | DETECTOR_IDS
        problems += [
            f"{where}: trap promises unknown feedback `{t.feedback}`"
            for t in step.traps
            if t.feedback and t.feedback not in ids
        ]
    assert not problems, problems
