"""The checker of one answer: every property of every name, one ``Check`` row each.

Runs in the judge process; :func:`tutor.judge.checks.run_checks` drives it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from tutor.course.lesson import PROPS
from tutor.judge import learned
from tutor.judge._checktext import msg
from tutor.judge.compare import (
    _MISSING,
    DEFAULT_PROPS,
    _data,
    _kind,
    _passing_kind,
    _short,
    _shown_kind,
    compare_values,
)
from tutor.judge.predicates import evaluate as evaluate  # the evaluator and checks import it here
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Check, predicate_key


class _Checker:
    """Accumulates checks for one answer."""

    def __init__(
        self, learner: dict[str, Value], reference: dict[str, Value] | None, lang: str
    ) -> None:
        self.learner = learner
        self.reference = reference or {}
        self.lang = lang
        self.checks: list[Check] = []
        self.failed_vars: dict[str, dict[str, Any]] = {}
        self.predicates: dict[str, Any] | None = None  # answers from the evaluator

    def predicate(self, expr: str, uses: Any) -> tuple[bool, str]:
        """Whether an author's predicate holds: the evaluator's answer when it gave one."""
        if self.predicates is None:
            return evaluate(expr, uses, self.learner, self.lang)
        found = self.predicates.get(predicate_key(expr, uses))
        if not isinstance(found, (list, tuple)) or len(found) != 2:
            return False, msg("predicate_unchecked", self.lang)
        return bool(found[0]), str(found[1])

    def add(self, check: Check) -> bool:
        self.checks.append(check)
        return check.passed

    def get(self, name: str, side: str = "learner") -> Value:
        source = self.learner if side == "learner" else self.reference
        return source.get(name, _MISSING)

    # -- one name, property by property

    def var(self, name: str, expect: dict[str, Any]) -> None:
        """Check ``name`` property by property: explicit expectations, else the reference's."""
        explicit = {p for p in PROPS if expect.get(p) is not None}
        props = expect.get("props")
        more = learned.wanted(expect)  # bounds, module and optimizer keys
        compare = set(props) if props else (set() if explicit or more else set(DEFAULT_PROPS))
        before = len(self.checks)
        got, want = self.get(name), self.get(name, "reference")
        if not self._type(name, got, want, expect, compare):
            self._remember(name, expect, before)
            return
        if got.kind == "module":  # its values are its state_dict, its grad its parameters'
            if "values" in compare and not more and want.kind == "module":
                more, expect = ["values"], {**expect, "props": ["values"]}
            compare -= {"values", "grad"}
            if isinstance(expect.get("grad"), str):
                explicit.discard("grad")
                more = [*more, "grad"]
        if more:
            learned.check(self, name, got, want, expect)
        for prop in PROPS[1:]:  # the type came first: the rest only make sense when it agrees
            if prop in explicit or prop in compare:
                ok = getattr(self, "_" + prop)(name, got, want, expect, prop in explicit)
                if not ok and prop == "shape":
                    compare.discard("values")
                    explicit.discard("values")
        self._remember(name, expect, before)

    def _remember(self, name: str, expect: dict[str, Any], before: int) -> None:
        failed = [c.name for c in self.checks[before:] if not c.passed]
        if failed:
            self.failed_vars[name] = {**expect, "var": name, "failed": failed}

    def _type(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], compare: set[str]
    ) -> bool:
        if got.kind == "missing":
            wanted = expect.get("type") or _shown_kind(want, self.lang)
            return self.add(
                Check(
                    f"{name}.type",
                    False,
                    wanted,
                    msg("not_defined", self.lang),
                    msg("missing", self.lang, name=name),
                )
            )
        if expect.get("type") is not None:
            wanted = str(expect["type"]).lower()
            ok = (
                wanted in (got.kind, got.type_name.lower())
                or (wanted == "float" and got.kind == "float")
                or (wanted == "number" and _kind(got) == "number")
            )
            written = str(expect["type"])  # as the lesson writes it: Linear, Adam
            shown = "Tensor" if wanted == "tensor" else written  # as type(x).__name__ says it
            return self.add(
                Check(
                    f"{name}.type",
                    ok,
                    shown,
                    _passing_kind(shown, _shown_kind(got, self.lang))
                    if ok
                    else _shown_kind(got, self.lang),
                    "" if ok else msg("type", self.lang, name=name, want=written),
                )
            )
        if "type" not in compare or want.kind == "missing":
            return True
        ok = _kind(got) == _kind(want)
        shown_got = _shown_kind(got, self.lang)
        shown_want = _shown_kind(want, self.lang)
        if ok and shown_got != shown_want and _kind(got) == "number":
            shown_want, shown_got = "number", _passing_kind("number", shown_got)
        return self.add(
            Check(
                f"{name}.type",
                ok,
                shown_want,
                shown_got,
                "" if ok else msg("type", self.lang, name=name, want=shown_want),
            )
        )

    def _shape(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        target = tuple(expect["shape"]) if explicit else want.shape
        if target is None:
            return True  # the reference has no shape (not a tensor): nothing to compare
        ok = got.shape is not None and tuple(got.shape) == tuple(target)
        return self.add(
            Check(
                f"{name}.shape",
                ok,
                str(tuple(target)),
                str(tuple(got.shape)) if got.shape is not None else msg("no_shape", self.lang),
                "" if ok else msg("shape", self.lang, name=name),
            )
        )

    def _dtype(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        if explicit:
            target = str(expect["dtype"])
            if not target.startswith("torch.") and got.kind != "ndarray":
                target = "torch." + target
        elif want.dtype is None or got.kind not in ("tensor", "ndarray"):
            return True
        else:
            target = want.dtype
        bare = (got.dtype or "").replace("torch.", "")
        ok = got.dtype == target or bare == target.replace("torch.", "")
        return self.add(
            Check(
                f"{name}.dtype",
                ok,
                target,
                str(got.dtype),
                "" if ok else msg("dtype", self.lang, name=name),
            )
        )

    def _device(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        target = str(expect["device"]) if explicit else want.device
        if target is None or got.kind != "tensor":
            return True
        kind = (got.device or "").split(":")[0]
        ok = got.device == target or (":" not in target and kind == target)
        return self.add(
            Check(
                f"{name}.device",
                ok,
                target,
                str(got.device),
                "" if ok else msg("device", self.lang, name=name),
            )
        )

    def _values(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        rtol, atol = expect.get("rtol"), expect.get("atol")
        if explicit:
            try:
                target = torch.tensor(expect["values"])
            except (TypeError, ValueError, RuntimeError):
                target = None
        else:
            target = _data(want)
        have = _data(got)
        if target is None or have is None:
            return self._plain_values(name, got, want, expect, explicit)
        # An array is shown as NumPy prints it, not as the tensor it was compared as.
        got_array = got.kind == "ndarray"
        want_array = expect.get("type") == "ndarray" if explicit else want.kind == "ndarray"
        if tuple(have.shape) != tuple(target.shape):
            shown = _short(target, array=want_array), _short(have, array=got_array)
            return self.add(
                Check(f"{name}.values", False, *shown, msg("shape", self.lang, name=name))
            )
        check = compare_values(f"{name}.values", have, target, rtol, atol, self.lang)
        if got_array or want_array:
            check = dataclasses.replace(
                check, expected=_short(target, array=want_array), got=_short(have, array=got_array)
            )
        return self.add(check)

    def _plain_values(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        """Strings, None and other objects: compare the Python value or the repr."""
        have = got.scalar if got.scalar is not None else got.repr
        if got.plain is not None:  # a list of strings, a dict: compared as plain data
            have = got.plain
        if explicit:
            target = expect["values"]
            ok = target == have or str(target) == got.repr
        else:
            if want.kind == "missing":
                return True
            target = want.scalar if want.scalar is not None else want.repr
            if want.plain is not None:
                target = want.plain
            ok = target == have and got.kind == want.kind
        return self.add(
            Check(
                f"{name}.values",
                ok,
                str(target)[:400],
                str(have)[:400],
                "" if ok else msg("values", self.lang, name=name),
            )
        )

    def _flag(
        self, prop: str, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        target = expect[prop] if explicit else getattr(want, prop)
        if target is None or got.kind != "tensor":
            return True
        if (
            not explicit
            and prop == "requires_grad"
            and not (want.requires_grad or want.has_grad or got.requires_grad)
        ):
            return True
        ok = getattr(got, prop) == target
        return self.add(
            Check(
                f"{name}.{prop}",
                ok,
                str(target),
                str(getattr(got, prop)),
                "" if ok else msg(prop, self.lang, name=name, want=target),
            )
        )

    def _requires_grad(self, *args: Any) -> bool:
        return self._flag("requires_grad", *args)

    def _is_leaf(self, *args: Any) -> bool:
        return self._flag("is_leaf", *args)

    def _grad_fn(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        if got.kind != "tensor":
            return True
        # The lesson writes "none" for no grad_fn; the table says None, as Python prints it.
        target = str(expect["grad_fn"]) if explicit else (want.grad_fn or "None")
        target = "None" if target.lower() == "none" else target
        have = got.grad_fn or "None"
        ok = have == target or (target != "None" and have.startswith(target))
        key = "grad_fn_none" if target == "None" else "grad_fn"
        return self.add(
            Check(
                f"{name}.grad_fn",
                ok,
                target,
                have,
                "" if ok else msg(key, self.lang, name=name),
            )
        )

    def _grad(
        self, name: str, got: Value, want: Value, expect: dict[str, Any], explicit: bool
    ) -> bool:
        gname = f"{name}.grad"
        if got.kind != "tensor":
            return True
        if explicit and isinstance(expect["grad"], str) and expect["grad"].lower() == "none":
            ok = not got.has_grad
            return self.add(
                Check(
                    gname,
                    ok,
                    "None",
                    "None" if ok else self.get(gname).repr,
                    "" if ok else msg("grad_not_none", self.lang, name=name),
                )
            )
        if explicit:
            target: torch.Tensor | None = torch.tensor(expect["grad"])
        elif want.has_grad:
            target = _data(self.get(gname, "reference"))
        else:
            return True
        have = _data(self.get(gname)) if got.has_grad else None
        if have is None:
            return self.add(
                Check(gname, False, _short(target), "None", msg("grad_none", self.lang, name=name))
            )
        if target is None:
            return True
        if tuple(have.shape) != tuple(target.shape):
            if target.numel() == 1 and have.numel() == 1:
                have, target = have.reshape(()), target.reshape(())
            else:
                return self.add(
                    Check(
                        gname,
                        False,
                        _short(target),
                        _short(have),
                        msg("shape", self.lang, name=gname),
                    )
                )
        return self.add(
            compare_values(gname, have, target, expect.get("rtol"), expect.get("atol"), self.lang)
        )

    # -- memory, exceptions, output, code, predicates

    def memory(self, name: str, other: str, shared: bool) -> None:
        a, b = self.get(name), self.get(other)
        prop = "shares_memory" if shared else "independent"
        if a.storage is None or b.storage is None:
            odd = a if a.storage is None else b
            self.add(
                Check(
                    f"{name}.{prop}",
                    False,
                    other,
                    _shown_kind(odd, self.lang),
                    msg("no_memory", self.lang, name=name, other=other),
                )
            )
            return
        overlap = (
            a.storage[1] > 0
            and b.storage[1] > 0
            and a.storage[0] < b.storage[0] + b.storage[1]
            and b.storage[0] < a.storage[0] + a.storage[1]
        )
        ok = overlap == shared
        self.add(
            Check(
                f"{name}.{prop}",
                ok,
                msg("shared" if shared else "separate", self.lang),
                msg("shared" if overlap else "separate", self.lang),
                "" if ok else msg(prop, self.lang, name=name, other=other),
            )
        )
        if not ok:
            entry = self.failed_vars.setdefault(name, {"var": name, "failed": []})
            entry["failed"] = [*entry["failed"], f"{name}.{prop}"]
            entry["shares_memory_with" if shared else "independent_of"] = other
