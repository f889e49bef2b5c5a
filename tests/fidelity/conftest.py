"""One warm sandbox for the whole differential run (torch imported once)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tutor.sandbox import Sandbox


@pytest.fixture(scope="session")
def script_sandbox() -> Iterator[Any]:
    sandbox = Sandbox(device="cpu", timeout=120, lang="en")
    sandbox.start()
    assert sandbox.wait_ready(180), "the sandbox did not start"
    try:
        yield sandbox
    finally:
        sandbox.close()
