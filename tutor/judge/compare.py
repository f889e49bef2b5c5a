"""Comparing two values of one name: kinds as the learner reads them, tensors within tolerance.

Runs in the judge process (imports torch, never rich); used by tutor.judge.checker.
"""

from __future__ import annotations

import torch

from tutor.judge._checktext import msg
from tutor.judge.snapshot import Value
from tutor.judge.tolerance import tolerance
from tutor.judge.verdict import Check

DEFAULT_PROPS = ("type", "shape", "dtype", "device", "values", "requires_grad", "grad")
_MISSING = Value(name="", kind="missing", type_name="")


def _kind(v: Value) -> str:
    """The kind used to compare types: ints and floats are both numbers."""
    return "number" if v.kind in ("int", "float") else v.kind


def _shown_kind(v: Value, lang: str = "en") -> str:
    if v.kind == "missing":
        return msg("not_defined", lang)
    return "None" if v.kind == "none" else v.type_name or v.kind


def _passing_kind(expected: str, got: str) -> str:
    """A passing type row's "got": the kind it passed as, then the exact type when that differs
    (``str (TorchVersion)``), so a ✓ never stands beside a different word."""
    return got if got.lower() == expected.lower() else f"{expected} ({got})"


def _data(v: Value) -> torch.Tensor | None:
    return v.data if isinstance(v.data, torch.Tensor) else None


def _family(t: torch.Tensor) -> str:
    if t.dtype == torch.bool:
        return "bool"
    return "complex" if t.dtype.is_complex else "real"


def _short(t: torch.Tensor | None, fallback: str = "", *, array: bool = False) -> str:
    """``t`` as printed, cut at 400 characters; as NumPy prints it when it came as an array."""
    if t is None:
        return fallback
    if array:
        text = repr(t.numpy(force=True))
    else:
        text = repr(t) if t.dim() else repr(t.item())
    return text if len(text) < 400 else text[:400] + " ..."


def compare_values(
    check_name: str,
    got: torch.Tensor,
    want: torch.Tensor,
    rtol: float | None,
    atol: float | None,
    lang: str,
) -> Check:
    """Compare two tensors of the same shape with tolerances; say where they differ."""
    if _family(got) != _family(want):
        return Check(check_name, False, _short(want), _short(got), msg("values_kinds", lang))
    if got.dtype == want.dtype and torch.equal(got, want):
        # The usual passing case; widening 10M elements to float64 first costs ~0.5 s.
        return Check(check_name, True, _short(want), _short(got))
    common = torch.complex128 if "complex" in (_family(got), _family(want)) else torch.float64
    r, a = tolerance(got, want, rtol, atol)
    g, w = got.to(common), want.to(common)
    close = torch.isclose(g, w, rtol=r, atol=a, equal_nan=True)
    if bool(close.all()):
        return Check(check_name, True, _short(want), _short(got))
    bad = (~close).nonzero()
    first = tuple(int(i) for i in bad[0]) if bad.numel() else ()
    diff = float((g - w).abs()[~close].max()) if got.dtype != torch.bool else 1.0
    name = check_name.removesuffix(".values")
    if not first:
        text = msg("value_differs", lang, name=name, diff=f"{diff:.4g}")
    else:
        text = msg(
            "values_differ",
            lang,
            name=name,
            n=int((~close).sum()),
            total=close.numel(),
            where=str(first),
            diff=f"{diff:.4g}",
        )
    return Check(check_name, False, _short(want), _short(got), text)
