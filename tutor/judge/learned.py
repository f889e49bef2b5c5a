"""Checks on learned values, modules and optimizers (the judge's side of a training step).

Bounds (``near``/``within``, ``at_least``, ``at_most``, ``finite``) hold a learned number to
a tolerance instead of the reference's value, and are shown in words (``3 ± 0.1``, ``≥ 0.9``).
A module is checked by its layers, parameter count and shapes, mode and gradients; an
optimizer by its learning rate, other hyper-parameters and the parameters it holds; any two
names by ``same_values_as``/``differs_from``. Everything read here is the plain data the
snapshot captured: no learner object exists in the judge.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

from tutor.i18n import t
from tutor.judge._checktext import msg
from tutor.judge.compare import _data
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Check

if TYPE_CHECKING:
    from typing import Protocol

    class _Checker(Protocol):  # what tutor.judge.checker._Checker offers (no import cycle)
        lang: str

        def add(self, check: Check) -> bool: ...

        def get(self, name: str, side: str = "learner") -> Value: ...


BOUNDS = ("near", "at_least", "at_most", "finite")
MODULE_KEYS = ("layers", "params", "param_shapes", "training")
OPTIMIZER_KEYS = ("lr", "hyper", "optimizes")
OTHER_KEYS = ("same_values_as", "differs_from")
KEYS = (*BOUNDS, *MODULE_KEYS, *OPTIMIZER_KEYS, *OTHER_KEYS)


def wanted(expect: dict[str, Any]) -> list[str]:
    """The keys of this module an expectation uses."""
    return [k for k in KEYS if expect.get(k) is not None]


def num(x: Any) -> str:
    """A number as a learner reads it: ``3``, ``0.1``, ``2.41``, ``6.8e+29``, ``nan``."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, int) or (math.isfinite(x) and x == int(x) and abs(x) < 1e15):
        return str(int(x))
    return f"{x:.4g}"


def check(c: _Checker, name: str, got: Value, want: Value, expect: dict[str, Any]) -> None:
    """Add a row for each key of this module the expectation uses."""
    lang = c.lang
    if any(expect.get(k) is not None for k in BOUNDS):
        _bounds(c, name, got, expect)
    if got.kind == "module" and got.module is not None:
        _module(c, name, got.module, expect)
    elif any(expect.get(k) is not None for k in MODULE_KEYS):
        c.add(Check(f"{name}.type", False, "Module", got.type_name or got.kind, _type(name, lang)))
    if got.kind == "optimizer" and got.optimizer is not None:
        _optimizer(c, name, got.optimizer, expect)
    elif any(expect.get(k) is not None for k in OPTIMIZER_KEYS):
        shown = got.type_name or got.kind
        c.add(Check(f"{name}.type", False, "Optimizer", shown, _type(name, lang, "optimizer")))
    for key, same in (("same_values_as", True), ("differs_from", False)):
        if expect.get(key):
            _same(c, name, got, str(expect[key]), same, expect)
    del want  # bounds and descriptions need no reference value


def _float(x: Any, default: float) -> float:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else default


def _type(name: str, lang: str, what: str = "module") -> str:
    return msg("type", lang, name=name, want=t(f"checks.kind_{what}", lang))


# -- bounds


def _numbers(got: Value) -> torch.Tensor | None:
    data = _data(got)
    if data is None or data.dtype == torch.bool or data.is_complex():
        return None
    return data.detach().to(torch.float64).reshape(-1)


def _worst(got: Value, flat: torch.Tensor, bad: torch.Tensor) -> str:
    """The element a bound failed on (the first, or the farthest for a distance): the value,
    and its index for a tensor of many."""
    i = int(bad.to(torch.float64).argmax())
    shown = num(float(flat[i]))
    data = _data(got)
    if data is not None and data.numel() > 1:
        index = tuple(int(k) for k in torch.unravel_index(torch.tensor(i), data.shape))
        shown += f" @ {index}" if len(index) > 1 else f" @ {index[0]}"
    return shown


def _bounds(c: _Checker, name: str, got: Value, expect: dict[str, Any]) -> None:
    lang = c.lang
    flat = _numbers(got)
    if flat is None:
        shown = got.type_name or got.kind
        c.add(Check(f"{name}.type", False, "number", shown, msg("not_numeric", lang, name=name)))
        return
    if flat.numel() == 0:
        return
    nan = torch.isnan(flat)
    if expect.get("finite"):
        bad = ~torch.isfinite(flat)
        ok = not bool(bad.any())
        shown = msg("finite", lang) if ok else _worst(got, flat, bad)
        text = "" if ok else msg("not_finite", lang, name=name, got=shown)
        c.add(Check(f"{name}.finite", ok, msg("finite", lang), shown, text))
    if expect.get("near") is not None:
        within = _float(expect.get("within"), 1e-6)
        try:
            target = torch.tensor(expect["near"], dtype=torch.float64)
            target = torch.broadcast_to(target, _data(got).shape).reshape(-1)  # type: ignore[union-attr]
        except (RuntimeError, TypeError, ValueError):
            target = torch.full_like(flat, float("nan"))
        distance = (flat - target).abs()
        bad = (distance > within) | torch.isnan(distance)
        ok = not bool(bad.any())
        near = expect["near"]
        near_text = num(near) if isinstance(near, (int, float)) else str(near)
        expected = f"{near_text} ± {num(within)}"
        if ok:
            shown = num(float(flat[0])) if flat.numel() == 1 else msg("all_within", lang)
        else:
            shown = _worst(got, flat, distance.nan_to_num(float("inf")))
        text = (
            ""
            if ok
            else msg("near", lang, name=name, near=near_text, within=num(within), got=shown)
        )
        c.add(Check(f"{name}.near", ok, expected, shown, text))
    for key, sign in (("at_least", "≥"), ("at_most", "≤")):
        if expect.get(key) is None:
            continue
        bound = _float(expect[key], 0.0)
        bad = ((flat < bound) if key == "at_least" else (flat > bound)) | nan
        ok = not bool(bad.any())
        if ok:
            shown = num(float(flat.min() if key == "at_least" else flat.max()))
        else:
            shown = _worst(got, flat, bad)
        text = "" if ok else msg(key, lang, name=name, bound=num(bound), got=shown)
        c.add(Check(f"{name}.{key}", ok, f"{sign} {num(bound)}", shown, text))


# -- modules


def _module(c: _Checker, name: str, module: dict[str, Any], expect: dict[str, Any]) -> None:
    lang = c.lang
    sep = t("checks.list_sep", lang)
    if expect.get("layers") is not None:
        want = [str(x) for x in expect["layers"]]
        have = [cls for _, cls in module["layers"]]
        ok = have == want
        text = (
            ""
            if ok
            else msg("layers", lang, name=name, got=sep.join(have) or "-", want=sep.join(want))
        )
        c.add(Check(f"{name}.layers", ok, sep.join(want), sep.join(have) or "-", text))
    if expect.get("params") is not None:
        want_n, have_n = int(expect["params"]), int(module["count"])
        ok = want_n == have_n
        text = "" if ok else msg("params", lang, name=name, got=have_n, want=want_n)
        c.add(Check(f"{name}.params", ok, str(want_n), str(have_n), text))
    if expect.get("param_shapes") is not None:
        shapes = {p["name"]: tuple(p["shape"]) for p in module["params"]}
        for key, shape in dict(expect["param_shapes"]).items():
            want_s = tuple(int(n) for n in shape)
            have_s = shapes.get(str(key))
            ok = have_s == want_s
            have_text = _shape(have_s) if have_s is not None else msg("not_defined", lang)
            text = (
                ""
                if ok
                else msg(
                    "param_shape", lang, name=name, param=key, got=have_text, want=_shape(want_s)
                )
            )
            c.add(
                Check(
                    f"{name}.param_shapes",
                    ok,
                    f"{key} {_shape(want_s)}",
                    f"{key} {have_text}",
                    text,
                )
            )
    if expect.get("training") is not None:
        want_b, have_b = bool(expect["training"]), module["training"]
        ok = have_b == want_b
        key = "still_training" if have_b else "not_training"
        c.add(
            Check(
                f"{name}.training",
                ok,
                str(want_b),
                str(have_b),
                "" if ok else msg(key, lang, name=name),
            )
        )
    grad = expect.get("grad")
    if isinstance(grad, str) and grad.lower() in ("none", "zero"):
        zero_ok = grad.lower() == "zero"
        held = [
            p["name"]
            for p in module["params"]
            if p["has_grad"] and not (zero_ok and p["grad_nonzero"] == 0)
        ]
        ok = not held
        want_text = "None" if not zero_ok else msg("grad_zero", lang)
        got_text = want_text if ok else msg("grad_held", lang, param=held[0])
        c.add(
            Check(
                f"{name}.grad",
                ok,
                want_text,
                got_text,
                "" if ok else msg("module_grad", lang, name=name, param=held[0]),
            )
        )
    if "values" in (expect.get("props") or ()):
        _state_values(c, name, name, True, expect, check_name=f"{name}.values")


def _shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "-"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


# -- optimizers


def _optimizer(c: _Checker, name: str, opt: dict[str, Any], expect: dict[str, Any]) -> None:
    lang = c.lang
    groups = opt["groups"]
    hypers = [g["hyper"] for g in groups]
    wants = dict(expect.get("hyper") or {})
    if expect.get("lr") is not None:
        wants = {"lr": expect["lr"], **wants}
    for key, want in wants.items():
        have = [h.get(key) for h in hypers]
        ok = bool(have) and all(_same_number(h, want) for h in have)
        shown = num(have[0]) if len(set(map(str, have))) == 1 else ", ".join(map(num, have))
        shown = shown if have else "-"
        row = f"{name}.lr" if key == "lr" else f"{name}.hyper"
        text = ""
        if not ok:
            text = (
                msg("lr", lang, name=name, got=shown, want=num(want))
                if key == "lr"
                else msg("hyper", lang, name=name, which=key, got=shown, want=num(want))
            )
        c.add(
            Check(
                row,
                ok,
                num(want) if key == "lr" else f"{key} = {num(want)}",
                shown if key == "lr" else f"{key} = {shown}",
                text,
            )
        )
    other = expect.get("optimizes")
    if other:
        target = c.get(str(other))
        mine = {i for g in groups for i in g["params"]}
        theirs = {p["id"] for p in (target.module or {}).get("params", ())}
        ok = bool(theirs) and mine == theirs
        want_text = msg("params_of", lang, other=other)
        if ok:
            got_text = want_text
        elif mine & theirs:
            got_text = msg("some_params_of", lang, other=other)
        else:
            got_text = msg("another_model", lang)
        text = "" if ok else msg("optimizes", lang, name=name, other=other)
        c.add(Check(f"{name}.optimizes", ok, want_text, got_text, text))


def _same_number(have: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(have, bool) or not isinstance(want, (int, float)):
        return bool(have == want)
    if not isinstance(have, (int, float)):
        return False
    return math.isclose(float(have), float(want), rel_tol=1e-6, abs_tol=1e-12)


# -- one name against another


def _same(
    c: _Checker, name: str, got: Value, other: str, same: bool, expect: dict[str, Any]
) -> None:
    row = f"{name}.same_values" if same else f"{name}.differs"
    if got.kind == "module":
        _state_values(c, name, other, same, expect, check_name=row, against_learner=True)
        return
    lang = c.lang
    a, b = _data(got), _data(c.get(other))
    if a is None or b is None:
        c.add(
            Check(
                row,
                False,
                other,
                got.type_name or got.kind,
                msg("no_values", lang, name=name, other=other),
            )
        )
        return
    equal = a.shape == b.shape and _close(a, b, expect)
    ok = equal == same
    want_text = msg("same_as" if same else "differs_from", lang, other=other)
    text = (
        ""
        if ok
        else msg("not_same" if same else "not_changed", lang, name=name, other=other, which="-")
    )
    c.add(
        Check(
            row,
            ok,
            want_text,
            want_text if ok else msg("same_as" if equal else "differs_from", lang, other=other),
            text,
        )
    )


def _close(a: torch.Tensor, b: torch.Tensor, expect: dict[str, Any]) -> bool:
    rtol, atol = _float(expect.get("rtol"), 1e-5), _float(expect.get("atol"), 1e-8)
    try:
        return bool(torch.allclose(a.to(torch.float64), b.to(torch.float64), rtol, atol, True))
    except RuntimeError:
        return bool(torch.equal(a, b))


def _state_values(
    c: _Checker,
    name: str,
    other: str,
    same: bool,
    expect: dict[str, Any],
    *,
    check_name: str,
    against_learner: bool = False,
) -> None:
    """Compare two modules' state_dicts key by key (another learner name, or the reference's
    module of the same name)."""
    lang = c.lang
    mine = c.get(name)
    theirs = c.get(other) if against_learner else c.get(other, "reference")
    keys_mine = [p["name"] for p in (mine.module or {}).get("params", ())]
    keys_theirs = [p["name"] for p in (theirs.module or {}).get("params", ())]
    first = None
    if keys_mine != keys_theirs:
        first = next((k for k in keys_mine if k not in keys_theirs), None) or "-"
    else:
        for key in keys_mine:
            a = _data(c.get(f"{name}.{key}"))
            side = "learner" if against_learner else "reference"
            b = _data(c.get(f"{other}.{key}", side))
            if a is None or b is None or a.shape != b.shape or not _close(a, b, expect):
                first = key
                break
    equal = first is None
    ok = equal == same
    ref = "" if against_learner else "_ref"  # the reference is named in words, not as code
    want_text = msg(("same_as" if same else "differs_from") + ref, lang, other=other)
    got_text = (
        want_text
        if ok
        else (
            msg("differs_at", lang, which=first)
            if not equal
            else msg("same_as" + ref, lang, other=other)
        )
    )
    text = (
        ""
        if ok
        else msg(
            ("not_same" if same else "not_changed") + ref,
            lang,
            name=name,
            other=other,
            which=first or "-",
        )
    )
    c.add(Check(check_name, ok, want_text, got_text, text))
