"""Names a learner expects to exist: the usual short names of libraries (``np``, ``nn``, ``F``)
used before anything imported them.

One family of error explanations: each ``@explains`` function turns a message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import explains

# The conventional short name -> (the line that makes it, the library's name).
IMPORTS = {
    "np": ("import numpy as np", "NumPy"),
    "nn": ("from torch import nn", "torch.nn"),
    "F": ("import torch.nn.functional as F", "torch.nn.functional"),
    "optim": ("from torch import optim", "torch.optim"),
    "plt": ("import matplotlib.pyplot as plt", "matplotlib.pyplot"),
    "pd": ("import pandas as pd", "pandas"),
}


@explains(
    "missing-import",
    re.compile(r"^name '(" + "|".join(IMPORTS) + r")' is not defined"),
    order=410,
)
def _missing_import(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    line, library = IMPORTS[m.group(1)]
    return Msg("errors.missing_import", name=m.group(1), line=line, library=library), None
