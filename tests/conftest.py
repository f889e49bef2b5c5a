"""Fixtures shared by the unit and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fsfaults import mount_tmpfs, unmount


@pytest.fixture()
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs to fill up or make read-only (skipped where mounting is not allowed)."""
    where = tmp_path / "tiny"
    mount_tmpfs(where, 1024)
    try:
        yield where
    finally:
        unmount(where)
