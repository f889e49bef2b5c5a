"""``torch-tutor run FILE`` against ``python FILE``: the corpus, program by program.

Stdout, stderr and the exit code must agree once paths and addresses are
normalised and the allow-list (``harness.ALLOWED``) is applied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fidelity import harness


@pytest.fixture(scope="module")
def folders(corpus_root: Path) -> tuple[Path, Path]:
    return harness.workspace(corpus_root, "python"), harness.workspace(corpus_root, "tutor")


def test_corpus_is_large_enough() -> None:
    assert len(harness.programs()) >= 40


@pytest.mark.parametrize("name", harness.programs())
def test_program_runs_as_under_python(
    name: str, folders: tuple[Path, Path], script_sandbox: Any
) -> None:
    py_dir, tutor_dir = folders
    python = harness.run_python(py_dir, name)
    tutor = harness.sandbox_runner(script_sandbox)(tutor_dir, name)
    problems = harness.compare(name, python, tutor, py_dir, tutor_dir)
    assert not problems, "\n\n".join(problems)
