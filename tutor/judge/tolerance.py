"""The default tolerances of value comparisons, per dtype (the checks' and the pictures')."""

from __future__ import annotations

import torch

_TOL = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.complex64: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.complex128: (1e-7, 1e-7),
}


def tolerance(
    a: torch.Tensor, b: torch.Tensor, rtol: float | None, atol: float | None
) -> tuple[float, float]:
    """The looser default tolerance of the two dtypes, unless the author gave one."""
    tols = [_TOL.get(t.dtype, (0.0, 0.0)) for t in (a, b)]
    default = max(tols)
    return (default[0] if rtol is None else rtol, default[1] if atol is None else atol)
