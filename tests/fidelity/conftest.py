"""One warm sandbox for the whole differential run (torch imported once), allowed to read and
write the folder the corpus is copied into and shared memory, as `run FILE` allows its
script's folder (tutor.runscript.writable_paths)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tutor import runscript
from tutor.sandbox import Sandbox


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fidelity")


@pytest.fixture(scope="session")
def script_sandbox(corpus_root: Path) -> Iterator[Any]:
    sandbox = Sandbox(
        device="cpu", timeout=120, lang="en", write=[corpus_root, runscript.SHARED_MEMORY]
    )
    sandbox.start()
    assert sandbox.wait_ready(180), "the sandbox did not start"
    try:
        yield sandbox
    finally:
        sandbox.close()
