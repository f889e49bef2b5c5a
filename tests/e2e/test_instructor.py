"""Issue 19, "Seen": an instructor's workshop of 30 learners, in a real pseudo-terminal.

One test (or more) per item: a wrong start command, passes made with /solution,
the class view, batch grading, the broadcast-fix message on an unrelated error,
the handout, the projector at 70 columns, and the workshop route.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, PYTHON, ROOT, env, leave, send, spawn  # noqa: E402


def _quit(child: pexpect.spawn) -> None:
    leave(child, "/quit\r", timeout=30)


def _stored(progress: Path) -> tuple[list, list]:
    """The position and the step rows of a progress file, as they stand."""
    db = sqlite3.connect(progress)
    try:
        position = db.execute("SELECT lesson, step FROM position").fetchall()
        steps = db.execute("SELECT * FROM steps ORDER BY lesson, step").fetchall()
    finally:
        db.close()
    return position, steps


def _ended(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


# 1 -------------------------------------------------------------------------------------------


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    """A progress file whose learner got to step 3 of the test lesson."""
    progress = tmp_path / "progress.sqlite3"
    child = spawn(progress, "--lesson", "e2e-basics", "--step", "pick")
    try:
        child.expect("step 3/4")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    assert _stored(progress)[0] == [("e2e-basics", "pick")]
    return progress


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--lesson", "nosuch"], ["Unknown lesson `nosuch`"]),
        (["--lesson", "tensros"], ["Unknown lesson `tensros`", "Did you mean `tensors`"]),
        (["--lesson", "e2e-basics", "--step", "99"], ["has no step `99`", "intro, zeros"]),
        (["--step", "nosuch"], ["has no step `nosuch`"]),
        (["--lesson", "e2e-basics", "--step", "zeroes"], ["Did you mean `zeros`"]),
    ],
    ids=["unknown", "typo", "step-number", "step-alone", "step-typo"],
)
def test_1_a_wrong_start_command_is_refused_and_progress_untouched(
    saved: Path, args: list[str], said: list[str]
) -> None:
    before = _stored(saved)
    child = spawn(saved, *args)
    try:
        for text in said:
            child.expect_exact(text)
        child.expect_exact("progress is unchanged")
        status = _ended(child)
    finally:
        if child.isalive():
            child.kill(9)
    assert status == 2
    assert _stored(saved) == before


def test_1_goto_never_takes_a_close_match_silently(saved: Path) -> None:
    child = spawn(saved)
    try:
        child.expect("step 3/4")
        child.expect_exact(PROMPT)
        send(child, "/goto e2e-basic.zeros")
        child.expect_exact("Did you mean e2e-basics?")
        child.expect_exact(PROMPT)
        send(child, "/goto e2e-basics.zeroes")
        child.expect_exact("Did you mean zeros?")
        child.expect_exact(PROMPT)
        send(child, "/explain")  # still where the learner was
        child.expect("Which function makes a tensor of ones")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    assert _stored(saved)[0] == [("e2e-basics", "pick")]


__all__ = ["PYTHON", "ROOT", "env"]


# 5 -------------------------------------------------------------------------------------------

UNSQUEEZE_TIP = "The new dim goes last"


@pytest.mark.parametrize(
    "lines",
    [
        ["out = m + r.unsqueeze(1); big = torch.empty(2**62, dtype=torch.uint8)", "/check"],
        ["out = m + r.unsqueeze(1); out.view(4)"],
    ],
    ids=["out-of-memory", "other-runtime-error"],
)
def test_5_the_unsqueeze_tip_needs_a_broadcasting_clash(tmp_path: Path, lines: list[str]) -> None:
    child = spawn(tmp_path / "p.sqlite3", "--lesson", "shapes", "--step", "broadcast-fix")
    try:
        child.expect("One number per row")
        child.expect_exact(PROMPT)
        for line in lines:
            send(child, line)
            child.expect(r"Not (quite )?yet" if line == lines[-1] else PROMPT)
        child.expect_exact(PROMPT)
        assert UNSQUEEZE_TIP not in child.before
        send(child, "out = m + r.unsqueeze(0)")  # the mistake the tip is about
        child.expect_exact(UNSQUEEZE_TIP)
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


# 7 -------------------------------------------------------------------------------------------

PROJECTOR = (50, 70)  # rows, columns: large type on a projector
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]")

MANY_CHECKS = """
id = "projector"
section = 97
title.en = "Projector"
title.zh = "投影"

[[steps]]
id = "three"
kind = "code"
title.en = "Three tensors"
title.zh = "三个张量"
text.en = "Make `a`, `b` and `c`: ones, zeros and twos, each of shape (2, 2)."
text.zh = "创建 `a`、`b` 和 `c`：形状都是 (2, 2)，分别全是 1、0 和 2。"
solution = "a = torch.ones(2, 2)\\nb = torch.zeros(2, 2)\\nc = torch.full((2, 2), 2.0)"
check = ["a", "b", "c"]
"""

DEEP = ("w = torch.ones(2, requires_grad=True); y = w", "for i in range(40): y = y * w + 1")


def _screen(child: pexpect.spawn) -> str:
    return ANSI.sub("", child.before)


def test_7_lessons_never_cut_an_id_at_70_columns(tmp_path: Path) -> None:
    child = spawn(tmp_path / "p.sqlite3", "--lesson", "autograd", dimensions=PROJECTOR)
    try:
        child.expect_exact(PROMPT)
        send(child, "/lessons")
        child.expect_exact("Lessons")
        child.expect(r"╰[─┴]+╯")  # the whole table, up to its bottom edge
        shown = _screen(child)
        for lesson_id in ("attributes-devices", "creating-tensors", "meet-pytorch"):
            assert lesson_id in shown, f"{lesson_id} was cut:\n{shown}"
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_7_a_deep_graph_wraps_by_node_at_70_columns(tmp_path: Path) -> None:
    child = spawn(tmp_path / "p.sqlite3", "--lesson", "autograd", dimensions=PROJECTOR)
    try:
        child.expect_exact(PROMPT)
        for line in DEEP:
            send(child, line)
            child.expect_exact(PROMPT)
        send(child, "/graph y")
        child.expect_exact("float32")
        child.expect_exact("graph cut here")  # the note is kept
        graph = _screen(child)
        assert graph.count("Backwar") == graph.count("Backward0"), graph  # no op split
        assert graph.count("requires_g") == graph.count("requires_grad"), graph
        for line in graph.splitlines():
            assert len(line.rstrip()) <= 70, line
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_7_a_long_verdict_folds_to_its_failing_rows(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "97-projector.toml").write_text(MANY_CHECKS, encoding="utf-8")
    child = spawn(
        tmp_path / "p.sqlite3",
        "--lessons",
        str(lessons),
        "--lesson",
        "projector",
        dimensions=PROJECTOR,
    )
    try:
        child.expect("Three tensors")
        child.expect_exact(PROMPT)
        send(child, "a = torch.ones(2, 2); b = torch.zeros(2, 2); c = torch.ones(2, 2)")
        child.expect_exact("Not quite yet")
        child.expect_exact("more checks passed")
        folded = _screen(child)  # the table, up to the note under it
        assert "c.values" in folded and "a.shape" not in folded, folded
        child.expect_exact(PROMPT)
        send(child, "/verdict")
        child.expect_exact("Not quite yet")
        child.expect_exact("4 of 4 values differ")  # "✗ c: 4 of 4 …": it names its variable
        full = _screen(child)
        for row in ("a.shape", "b.dtype", "c.values"):
            assert row in full, full
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_7_a_light_theme_for_light_terminals(tmp_path: Path) -> None:
    colours = {k: v for k, v in env().items() if k != "NO_COLOR"}
    child = spawn(
        tmp_path / "p.sqlite3",
        "--lesson",
        "e2e-basics",
        "--step",
        "zeros",
        "--theme",
        "light",
        environ=colours,
        dimensions=PROJECTOR,
    )
    try:
        child.expect("A tensor of zeros")
        child.expect_exact(PROMPT)
        child.send("x = torch.zeros(2, 3)")
        child.expect(r"3\S*\)")  # colour codes may sit between the 3 and the )
        typed = child.before + child.after
        # Monokai's near-white text (#f8f8f2, or its 256-colour cousins) would vanish on white.
        for near_white in ("38;2;248;248;242", "38;5;231", "38;5;255", "38;5;15m"):
            assert near_white not in typed, typed
        child.send("\r")
        child.expect("Well done")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


# 6 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_6_the_chinese_handout_lines_up_and_prints_white(tmp_path: Path, theme: str) -> None:
    from rich.terminal_theme import MONOKAI

    from tests import browser

    page = tmp_path / "handout.html"
    child = spawn(
        tmp_path / "p.sqlite3",
        "--lang",
        "zh",
        "--theme",
        theme,
        "--record",
        str(page),
        "--lesson",
        "e2e-basics",
        "--step",
        "zeros",
        dimensions=(40, 90),
    )
    try:
        child.expect("全零张量")
        child.expect_exact(PROMPT)
        send(child, "x = torch.ones(2, 3)")
        child.expect_exact("torch.ones")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    body = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in body and "@media print" in body
    assert "Noto Sans Mono CJK SC" in body and '<span class="w">全</span>' in body
    if theme == "light":
        assert "background-color: #ffffff" in body
    if browser.chromium() is None:
        pytest.skip(f"Chromium is not installed (Debian/Ubuntu: {browser.INSTALL})")
    shot = tmp_path / "shot.png"
    browser.screenshot(page, shot, width=900, height=500)
    if theme == "dark":
        cyan = MONOKAI.ansi_colors[6]
        xs = browser.right_border(browser.read_png(shot), (cyan.red, cyan.green, cyan.blue))
        assert len(xs) > 20 and max(xs) - min(xs) <= 2, sorted(set(xs))
    pdf = tmp_path / "page.pdf"
    browser.print_pdf(page, pdf)
    png = tmp_path / "print.png"
    if browser.pdf_page_png(pdf, png, dpi=40):
        pixels = [p for row in browser.read_png(png) for p in row]
        assert sum(1 for p in pixels if sum(p) < 150) / len(pixels) < 0.05


# 8 -------------------------------------------------------------------------------------------

ROUTE = """\
# A short workshop: two steps of the test lesson, then one of the course
e2e-basics.zeros     4
e2e-basics.pick            # its time: the step's own estimate
tensors.scalar       5m
"""

OWN_LESSON = """
id = "my-course"
section = 4
title.en = "Instructor's own"
title.zh = "讲师自编"
minutes = 12

[[steps]]
id = "double"
kind = "code"
title.en = "Double it"
title.zh = "翻倍"
text.en = "Make `y`, twice `a`."
text.zh = "创建 `y`，等于 `a` 的两倍。"
setup = "a = torch.arange(6)"
solution = "y = a * 2"
check = ["y"]
"""


def test_8_a_workshop_route_is_followed_with_its_times(tmp_path: Path) -> None:
    route = tmp_path / "route.txt"
    route.write_text(ROUTE, encoding="utf-8")
    child = spawn(tmp_path / "p.sqlite3", "--path", str(route))
    try:
        child.expect_exact("3 steps")
        child.expect_exact("route 1/3")
        child.expect("A tensor of zeros")
        child.expect_exact(PROMPT)
        send(child, "/route")
        child.expect_exact("e2e-basics.zeros")
        child.expect_exact("4 min")
        child.expect_exact("tensors.scalar")
        child.expect_exact("5 min")
        child.expect_exact(PROMPT)
        send(child, "x = torch.zeros(2, 3)")
        child.expect("Well done")
        child.expect_exact("route 2/3")
        child.expect("Which function makes a tensor of ones")
        child.expect_exact(PROMPT)
        send(child, "/skip")
        child.expect_exact("route 3/3")  # on to the next stop, whatever lesson it is in
        child.expect("A 0-d scalar")
        child.expect_exact(PROMPT)
        send(child, "s = torch.tensor(3.5)")
        child.expect("Well done")
        child.expect_exact("end of the workshop route")
        child.expect_exact(PROMPT)
        send(child, "/lessons")
        child.expect_exact("time")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_8_a_custom_lesson_ends_at_the_menu_not_in_a_built_in_lesson(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "my-course.toml").write_text(OWN_LESSON, encoding="utf-8")
    child = spawn(tmp_path / "p.sqlite3", "--lessons", str(own), "--lesson", "my-course")
    try:
        child.expect("Double it")
        child.expect_exact(PROMPT)
        send(child, "y = a * 2")
        child.expect("Well done")
        child.expect_exact("last lesson of its folder")
        child.expect_exact("my-course")  # the menu: the lessons, to pick from
        child.expect_exact("12 min")
        child.expect_exact(PROMPT)
        assert "lesson 5 · step" not in child.before  # built-in lesson 5 did not start
        send(child, "/explain")  # still on the custom lesson's step
        child.expect("Double it")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)


def test_8_lessons_lists_time_estimates() -> None:
    import subprocess

    done = subprocess.run(
        [PYTHON, "-m", "tutor", "lessons", "--lang", "en"],
        cwd=str(ROOT),
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and re.search(r"tensors\s+Tensors\s+\(~\d+ min\)", done.stdout)


# 2 -------------------------------------------------------------------------------------------


def test_2_a_pass_made_with_the_solution_shows_as_such(tmp_path: Path) -> None:
    import csv
    import io
    import subprocess

    progress = tmp_path / "p.sqlite3"
    child = spawn(
        progress,
        "--lesson",
        "e2e-basics",
        "--step",
        "zeros",
        "--name",
        "Cy",
        environ=env(TORCH_TUTOR_TYPE_DELAY="0"),
    )
    try:
        child.expect("A tensor of zeros")
        child.expect_exact(PROMPT)
        send(child, "/solution")
        child.expect_exact("Show the solution? [y/N]")
        send(child, "y")
        child.expect("Press Enter to run it")
        child.expect(r"3\S*\)")  # the solution, typed at the prompt
        child.send("\r")
        child.expect("Well done")
        child.expect_exact(PROMPT)
    finally:
        _quit(child)
    shown = spawn(progress, "progress", dimensions=(30, 100))
    shown.expect_exact("passed (solution)")
    shown.expect(pexpect.EOF)
    done = subprocess.run(
        [PYTHON, "-m", "tutor", "--progress", str(progress), "progress", "--export", "csv"],
        cwd=str(ROOT),
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = {r["step"]: r for r in csv.DictReader(io.StringIO(done.stdout))}
    assert rows["zeros"]["status"] == "passed" and rows["zeros"]["assisted"] == "solution"
    assert rows["zeros"]["learner"] == "Cy"


# 3 -------------------------------------------------------------------------------------------


def test_3_the_class_view_in_a_terminal(tmp_path: Path) -> None:
    from tutor.progress import Store

    for name, tries in (("Ada", 1), ("Bea", 5), ("Cy", 2)):
        store = Store(tmp_path / f"{name.lower()}.sqlite3")
        store.set_name(name)
        store.seen("e2e-basics", "zeros")
        store.set_position("e2e-basics", "zeros")
        for _ in range(tries):
            store.attempt("e2e-basics", "zeros", "x", False, ["used-ones"], ["x.values"])
        store.close()
    child = spawn(tmp_path / "ignored.sqlite3", "class", str(tmp_path), dimensions=(40, 70))
    child.expect_exact("Who is where")
    child.expect_exact("⚠ Bea")
    child.expect_exact("Stuck")
    child.expect_exact("used-ones (3 learners)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# 4 -------------------------------------------------------------------------------------------


def test_4_grade_a_folder_in_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "ada.py").write_text("x = torch.zeros(2, 3)\n")
    (folder / "bea.py").write_text("x = torch.ones(2, 3)\n")
    (folder / "cy.py").write_text("x = torch.zeros(2, 3) @ torch.zeros(2, 3)\n")
    (folder / "dee.py").write_text("x = zeros(2, 3)\n")
    child = spawn(
        tmp_path / "p.sqlite3", "grade", "e2e-basics", "zeros", str(folder), dimensions=(40, 70)
    )
    child.expect_exact("4 submissions")
    child.expect_exact("ada.py")
    child.expect_exact("Most common mistakes")
    shown = ANSI.sub("", child.before)
    child.expect_exact("1 of 4 passed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    for expected in ("used-ones", "matmul-inner-size", "error-other"):
        assert expected in shown, shown
