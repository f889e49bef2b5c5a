"""docs/lesson-format.md is true: its worked example, copied as is, validates and checks."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tutor.course import load_lesson

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "lesson-format.md").read_text(encoding="utf-8")


def worked_example() -> str:
    section = DOC.split("## A worked example", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def lesson_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("doc-lessons")
    (folder / "99-my-lesson.toml").write_text(worked_example(), encoding="utf-8")
    return folder


def test_every_toml_snippet_in_the_doc_parses():
    snippets = re.findall(r"```toml\n(.*?)```", DOC, re.S)
    assert len(snippets) >= 10
    for snippet in snippets:
        tomllib.loads(snippet)


def test_worked_example_loads_cleanly(lesson_dir):
    lesson, errors = load_lesson(lesson_dir / "99-my-lesson.toml")
    assert errors == [] and lesson is not None
    assert [s.kind for s in lesson.steps] == ["read", "code", "quiz", "predict"]


def test_worked_example_validates(lesson_dir, tutor_cli):
    result = tutor_cli("validate", str(lesson_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 lesson, 4 steps: all valid." in result.stdout


def test_worked_example_checks_answers(lesson_dir, tmp_path, tutor_cli):
    right = tmp_path / "right.py"
    right.write_text("c = torch.arange(1, n + 1)\n", encoding="utf-8")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("c = torch.arange(1, n)\n", encoding="utf-8")
    hard = tmp_path / "hard.py"
    hard.write_text("c = torch.arange(1, 6)\n", encoding="utf-8")
    base = ("--lessons", str(lesson_dir), "check", "my-first-lesson", "count")
    assert tutor_cli(*base, str(right)).returncode == 0
    result = tutor_cli(*base, str(wrong), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert next(c for c in data["checks"] if not c["passed"])["name"] == "c.shape"
    assert "stops-early" in [f["id"] for f in data["feedback"]]
    result = tutor_cli(*base, str(hard), "--json")
    assert result.returncode == 1  # right for n = 5, wrong on the variant n = 8
    assert json.loads(result.stdout)["checks"][0]["name"] == "variant"


def test_broken_copy_of_the_example_fails_validation(lesson_dir, tmp_path, tutor_cli):
    text = worked_example().replace(
        'code = "c = torch.arange(1, n)"', 'code = "c = torch.arange(1, n + 1)"'
    )
    (tmp_path / "broken.toml").write_text(text, encoding="utf-8")
    result = tutor_cli("validate", str(tmp_path / "broken.toml"))
    assert result.returncode == 1
    line = text[: text.index('code = "c = torch.arange(1, n + 1)"')].count("\n")
    assert f"broken.toml:{line}: step `count`: the trap" in result.stdout


# --- a training lesson written from the doc's examples alone ----------------------------------


def training_example() -> str:
    """The header of "The lesson" and the step of "Training steps", copied as they stand."""
    header = re.search(r"```toml\n(.*?)```", DOC.split("## The lesson", 1)[1], re.S).group(1)
    step = re.search(r"```toml\n(.*?)```", DOC.split("### Training steps", 1)[1], re.S).group(1)
    return header + "\n" + step


@pytest.fixture(scope="module")
def training_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("doc-training")
    (folder / "98-training.toml").write_text(training_example(), encoding="utf-8")
    return folder


def test_training_example_uses_every_part_two_key(training_dir):
    lesson, errors = load_lesson(training_dir / "98-training.toml")
    assert errors == [] and lesson is not None
    (step,) = lesson.steps
    assert step.time_limit == 20 and step.quiet == ("grad-accumulated",)
    keys = {
        k
        for e in step.expects
        for k in ("near", "at_most", "finite", "params", "lr", "optimizes")
        if getattr(e, k) is not None
    }
    assert keys == {"near", "at_most", "finite", "params", "lr", "optimizes"}
    assert [(v.seed, v.setup, bool(v.message)) for v in step.variants] == [(1, None, True)]


def test_training_example_validates(training_dir, tutor_cli):
    result = tutor_cli("validate", str(training_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 lesson, 1 step: all valid." in result.stdout


def _train(tmp_path: Path, name: str, lr: str = "0.1", zero: bool = True) -> str:
    body = "    opt.zero_grad()\n" if zero else ""
    code = (
        f"opt = torch.optim.SGD(model.parameters(), lr={lr})\nlosses = []\n"
        "for epoch in range(200):\n" + body + "    loss = nn.functional.mse_loss(model(x), y)\n"
        "    loss.backward()\n    opt.step()\n    losses.append(loss.item())\n"
    )
    path = tmp_path / name
    path.write_text(code, encoding="utf-8")
    return str(path)


def test_training_example_checks_answers(training_dir, tmp_path, tutor_cli):
    base = ("--lessons", str(training_dir), "check", "creation", "fit-line")
    assert tutor_cli(*base, _train(tmp_path, "right.py")).returncode == 0
    # No zero_grad: the weight's bound fails, in words, and the message quotes the weight.
    result = tutor_cli(*base, _train(tmp_path, "nozero.py", zero=False), "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 1
    near = next(c for c in data["checks"] if c["name"] == "model.weight.near")
    assert not near["passed"] and near["expected"] == "3 ± 0.1"
    assert "model_weight" not in result.stdout  # no mangled names anywhere
    ids = {f["id"]: f["message"] for f in data["feedback"]}
    assert {"forgot-zero-grad", "missing-zero-grad"} <= set(ids)
    assert "{model.weight" not in ids["forgot-zero-grad"]
    assert re.search(r"ended at -?\d+\.\d\d,", ids["forgot-zero-grad"])
    # A learning rate that is wrong but converges: the optimizer's own row says so.
    result = tutor_cli(*base, _train(tmp_path, "slow.py", lr="0.01"), "--json")
    data = json.loads(result.stdout)
    lr = next(c for c in data["checks"] if c["name"] == "opt.lr")
    assert (lr["passed"], lr["expected"], lr["got"]) == (False, "0.1", "0.01")
