"""Course data a lesson's set-up (or a learner) can load: small files shipped with the course.

``from tutor.datasets import load_digits`` works in the sandbox (the worker may read the
course's ``data/`` folder, nothing else of the lessons) and in any Python where torch-tutor
is installed. Nothing is downloaded: the files are in ``lessons/data/`` (``tutor/lessons/data``
in a wheel), with their sources and licences in its README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tutor.course.files import builtin_dir

if TYPE_CHECKING:
    import torch


def data_path(name: str) -> Path:
    """A file of the course's data folder (``digits.csv.gz``); FileNotFoundError if absent."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a data file name: {name!r}")
    path = builtin_dir() / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"the course has no data file {name!r} (looked in {path.parent})")
    return path


def load_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The 1797 handwritten digits (8 x 8, UCI; CC BY 4.0, see lessons/data/README.md):
    ``images`` (1797, 64) float32 with pixel values 0..16, ``labels`` (1797,) int64."""
    import numpy
    import torch

    raw = numpy.loadtxt(data_path("digits.csv.gz"), delimiter=",", dtype="float32")
    images = torch.from_numpy(numpy.ascontiguousarray(raw[:, :64]))
    labels = torch.from_numpy(raw[:, 64].astype("int64"))
    return images, labels


__all__ = ["data_path", "load_digits"]
