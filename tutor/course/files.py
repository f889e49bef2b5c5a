"""Where the built-in course lives: ``lessons/`` in a checkout, ``tutor/lessons`` in a wheel."""

from __future__ import annotations

from pathlib import Path

import tutor


def builtin_dir() -> Path:
    """The folder holding the built-in lesson files.

    In a source checkout (or an editable install) that is the top-level
    ``lessons/`` next to ``tutor/``; an installed wheel carries the same files
    as the package ``tutor.lessons`` (pyproject maps one onto the other).
    """
    package = Path(tutor.__file__).resolve().parent
    installed = package / "lessons"
    if installed.is_dir() and any(installed.glob("*.toml")):
        return installed
    return package.parent / "lessons"


def course_dirs(
    extra: list[str] | tuple[str, ...] | None = None, include_builtin: bool = True
) -> list[Path]:
    """The built-in course folder followed by any ``--lessons`` folders or files."""
    dirs = [builtin_dir()] if include_builtin else []
    return dirs + [Path(p) for p in extra or ()]


def private_paths(
    extra: list[str] | tuple[str, ...] | None, progress_folder: Path | str
) -> list[str]:
    """What no sandbox process may read: every lesson folder and the progress store's folder
    (``tutor.progress.resolve_path(...).parent``: the front end passes it, the course never
    imports the progress store).

    Passed as ``Sandbox(private=...)``; the built-in course is hidden even without it.
    """
    return [str(p) for p in course_dirs(extra)] + [str(progress_folder)]
