"""A class of ten learners built through the real tutor (scripted sessions), then ``class``.

Each learner runs ``python -m tutor --plain --name NAME --progress FILE`` with their
inputs piped in, as a learner at a laptop would type them: one gets stuck, some pass
with the solution or every hint, many make the same mistake. ``class`` must then name
the stuck learner, show the passes made with help as such, and rank the mistakes; the
same from the learners' exports as from their stores.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .pty import LESSONS, PYTHON, ROOT, env

ONES = "x = torch.ones(2, 3)"
ZEROS = "x = torch.zeros(2, 3)"

CLASS = {
    "Ada": [ZEROS, "2"],
    "Bea": [ONES, "x = torch.ones(2, 3) * 1", "x = torch.ones(3, 2)", "x = torch.ones(2, 3) + 0"],
    "Cy": ["/solution", "y"],
    "Dee": ["/hint", "/hint", ZEROS],
    "Eve": [ONES, ZEROS],
    "Fay": [ONES, ZEROS, "1", "2"],
    "Gus": ["x = torch.zeros(3, 2)", ZEROS],
    "Hal": [ONES],
    "Ivy": [ZEROS, "/solution", "y", "2"],
    "Jo": [ZEROS, "2"],
}


def _session(folder: Path, name: str, inputs: list[str]) -> str:
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "tutor",
            "--plain",
            "--lang",
            "en",
            "--name",
            name,
            "--progress",
            str(folder / f"{name.lower()}.sqlite3"),
            "--lessons",
            LESSONS,
            "--lesson",
            "e2e-basics",
            "--step",
            "zeros",
        ],
        input="\n".join([*inputs, "/quit"]) + "\n",
        cwd=str(ROOT),
        env=env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def _tutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "tutor", "--lang", "en", *args],
        cwd=str(ROOT),
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    with ThreadPoolExecutor(max_workers=3) as pool:
        said = dict(
            zip(CLASS, pool.map(lambda item: _session(folder, *item), CLASS.items()), strict=True)
        )
    assert "Well done" in said["Cy"] and "Well done" in said["Dee"]
    return folder


def _check(report: dict) -> None:
    learners = {le["name"]: le for le in report["learners"]}
    assert sorted(learners) == sorted(CLASS)
    assert report["stuck"] == ["Bea"]
    bea = learners["Bea"]
    assert (bea["at"], bea["attempts_here"], bea["passed"]) == ("e2e-basics.zeros", 4, 0)
    assert bea["last_activity"] and bea["idle_seconds"] is not None
    helped = {(h["learner"], h["step"], h["help"]) for h in report["passes_with_help"]}
    assert helped == {
        ("Cy", "e2e-basics.zeros", "solution"),
        ("Dee", "e2e-basics.zeros", "hints"),
        ("Ivy", "e2e-basics.pick", "solution"),
    }
    assert learners["Cy"]["passed_with_help"] == 1 and learners["Ada"]["passed_with_help"] == 0
    zeros = next(m for m in report["mistakes"] if m["step"] == "e2e-basics.zeros")
    top = zeros["feedback_ids"][0]
    assert (top["name"], top["learners"]) == ("used-ones", 4)  # Bea, Eve, Fay, Hal
    assert top["count"] == 7  # Bea 4, Eve, Fay, Hal 1 each
    checks = {c["name"]: c for c in zeros["failing_checks"]}
    assert checks["x.values"]["learners"] == 4 and "x.shape" in checks  # Gus, Bea
    pick = next(m for m in report["mistakes"] if m["step"] == "e2e-basics.pick")
    assert pick["failing_attempts"] == 1  # Fay's "1"


@pytest.mark.timeout(900)  # ten scripted sessions on a busy machine
def test_the_class_report_from_ten_stores(classroom: Path) -> None:
    done = _tutor("class", str(classroom), "--json")
    assert done.returncode == 0, done.stderr
    _check(json.loads(done.stdout))
    table = _tutor("class", str(classroom), "--width", "70")
    assert table.returncode == 0, table.stderr
    shown = table.stdout
    assert "⚠ Bea" in shown and "e2e-basics.zeros" in shown
    assert "used-ones (4 learners)" in shown
    assert "Cy" in shown and "solution" in shown and "all hints" in shown
    assert all(len(line) <= 70 for line in shown.splitlines()), shown
    learners = _tutor("class", str(classroom), "--csv").stdout.splitlines()
    assert learners[0].startswith("name,source,at,") and len(learners) == 11
    assert any(line.startswith("Bea,") and line.endswith(",true") for line in learners)


@pytest.mark.timeout(900)
def test_the_class_report_from_exports_says_the_same(classroom: Path, tmp_path: Path) -> None:
    """Half the class hands in an export (CSV or JSON) instead of the store."""
    for i, name in enumerate(CLASS):
        store = classroom / f"{name.lower()}.sqlite3"
        if i % 2:
            (tmp_path / store.name).write_bytes(store.read_bytes())
            continue
        fmt = "csv" if i % 4 == 0 else "json"
        done = _tutor("--progress", str(store), "progress", "--export", fmt)
        assert done.returncode == 0, done.stderr
        (tmp_path / f"{name.lower()}.{fmt}").write_text(done.stdout, encoding="utf-8")
    done = _tutor("class", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    _check(json.loads(done.stdout))


def test_a_class_folder_with_nothing_readable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text('{"hello": 1}', encoding="utf-8")
    done = _tutor("class", str(tmp_path))
    assert done.returncode == 2
    assert "notes.json" in done.stderr and "No progress stores" in done.stderr
    assert "Traceback" not in done.stderr
