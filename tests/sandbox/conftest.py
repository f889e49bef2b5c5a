"""Shared fixtures for the sandbox tests: one sandbox per module, short limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import make_sandbox

from tutor.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    sandbox = make_sandbox()
    yield sandbox
    sandbox.close()
