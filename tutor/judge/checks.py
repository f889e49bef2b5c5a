"""Turn a step's expectations and two snapshots into a Verdict (runs in the judge process only).

``run_checks`` compares the learner's values with the reference solution's,
property by property (type, shape, dtype, device, values, requires_grad, grad
...), then checks exceptions, output, the code itself and predicates, and
finally gathers the lesson's targeted feedback and the built-in detectors'.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from tutor import codeinfo
from tutor.course.lesson import PROPS
from tutor.judge._checktext import msg
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Check, Feedback, Verdict, predicate_key

DEFAULT_PROPS = ("type", "shape", "dtype", "device", "values", "requires_grad", "grad")
_TOL = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.complex64: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.complex128: (1e-7, 1e-7),
}
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


def tolerance(
    a: torch.Tensor, b: torch.Tensor, rtol: float | None, atol: float | None
) -> tuple[float, float]:
    """The looser default tolerance of the two dtypes, unless the author gave one."""
    tols = [_TOL.get(t.dtype, (0.0, 0.0)) for t in (a, b)]
    default = max(tols)
    return (default[0] if rtol is None else rtol, default[1] if atol is None else atol)


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
    if not first:
        text = msg("value_differs", lang, diff=f"{diff:.4g}")
    else:
        text = msg(
            "values_differ",
            lang,
            n=int((~close).sum()),
            total=close.numel(),
            where=str(first),
            diff=f"{diff:.4g}",
        )
    return Check(check_name, False, _short(want), _short(got), text)


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
        compare = set(props) if props else (set() if explicit else set(DEFAULT_PROPS))
        before = len(self.checks)
        got, want = self.get(name), self.get(name, "reference")
        if not self._type(name, got, want, expect, compare):
            self._remember(name, expect, before)
            return
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
            shown = "Tensor" if wanted == "tensor" else wanted  # as type(x).__name__ says it
            return self.add(
                Check(
                    f"{name}.type",
                    ok,
                    shown,
                    _passing_kind(shown, _shown_kind(got, self.lang))
                    if ok
                    else _shown_kind(got, self.lang),
                    "" if ok else msg("type", self.lang, name=name, want=wanted),
                )
            )
        if "type" not in compare or want.kind == "missing":
            return True
        ok = _kind(got) == _kind(want)
        shown_want = _shown_kind(want, self.lang)
        shown_got = _shown_kind(got, self.lang)
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
        if explicit:
            target, have = expect["values"], got.scalar if got.scalar is not None else got.repr
            ok = target == have or str(target) == got.repr
        else:
            if want.kind == "missing":
                return True
            target = want.scalar if want.scalar is not None else want.repr
            have = got.scalar if got.scalar is not None else got.repr
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
        target = str(expect["grad_fn"]) if explicit else (want.grad_fn or "none")
        have = got.grad_fn or "none"
        ok = have == target or (target != "none" and have.startswith(target))
        return self.add(
            Check(
                f"{name}.grad_fn",
                ok,
                target,
                have,
                "" if ok else msg("grad_fn", self.lang, name=name),
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


def _error_of(run: dict[str, Any] | None) -> tuple[str, str]:
    """(type, message) of the exception a run raised, or why it stopped; ("", "") when ok."""
    run = run or {}
    if run.get("outcome", "ok") == "ok":
        return "", ""
    err = run.get("error") or {}
    return str(err.get("type") or run.get("outcome")), str(err.get("message") or "")


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _run_expectation(
    c: _Checker,
    e: dict[str, Any],
    learner_run: dict[str, Any],
    reference_run: dict[str, Any] | None,
    code: str,
) -> None:
    lang = c.lang
    if e.get("var"):
        c.var(e["var"], e)
        if e.get("shares_memory_with"):
            c.memory(e["var"], e["shares_memory_with"], True)
        if e.get("independent_of"):
            c.memory(e["var"], e["independent_of"], False)
    if e.get("raises"):
        etype, emsg = _error_of(learner_run)
        want = e["raises"] + (f": ...{e['match']}..." if e.get("match") else "")
        ok = etype.split(".")[-1] == e["raises"].split(".")[-1] and (e.get("match") or "") in emsg
        c.add(
            Check(
                "raises",
                ok,
                want,
                f"{etype}: {emsg}" if etype else msg("no_error", lang),
                "" if ok else msg("raises", lang, want=e["raises"]),
            )
        )
    output = (learner_run or {}).get("output", "")
    if e.get("output") is not None:
        ok = _lines(output) == _lines(e["output"])
        c.add(Check("output", ok, e["output"], output, "" if ok else msg("output", lang)))
    if e.get("output_contains"):
        missing = [s for s in e["output_contains"] if s not in output]
        c.add(
            Check(
                "output",
                not missing,
                ", ".join(e["output_contains"]),
                output,
                msg("output_contains", lang, missing=", ".join(missing)) if missing else "",
            )
        )
    if e.get("same_output"):
        want = (reference_run or {}).get("output", "")
        ok = _lines(output) == _lines(want)
        c.add(Check("output", ok, want, output, "" if ok else msg("output", lang)))
    if e.get("must_call") or e.get("must_not_call"):
        found = codeinfo.calls(code)
        missing = [p for p in e.get("must_call") or () if not codeinfo.matches(found, p)]
        banned = [p for p in e.get("must_not_call") or () if codeinfo.matches(found, p)]
        text = " ".join(
            filter(
                None,
                [
                    msg("must_call", lang, names=", ".join(missing)) if missing else "",
                    msg("must_not_call", lang, names=", ".join(banned)) if banned else "",
                ],
            )
        )
        expected = ", ".join(
            list(e.get("must_call") or ())
            + [msg("not_call", lang, name=p) for p in e.get("must_not_call") or ()]
        )
        c.add(
            Check("calls", not (missing or banned), expected, ", ".join(sorted(found))[:400], text)
        )
    if e.get("predicate"):
        ok, detail = c.predicate(e["predicate"], e.get("uses") or ())
        message = _text(e.get("message"), lang) or msg("predicate", lang, expr=e["predicate"])
        c.add(Check("predicate", ok, e["predicate"], detail, "" if ok else message))


def _text(text: Any, lang: str) -> str:
    if isinstance(text, dict):
        return (text.get(lang) or text.get("en") or "") if lang == "zh" else text.get("en", "")
    return str(text or "")


def _python_value(v: Value) -> Any:
    if v.kind in ("tensor",):
        return v.data
    if v.kind == "ndarray":
        return v.data.numpy() if isinstance(v.data, torch.Tensor) else None
    if v.kind in ("list", "tuple") and isinstance(v.data, torch.Tensor):
        items = v.data.tolist()
        return items if v.kind == "list" else tuple(items)
    return v.scalar


def evaluate(expr: str, uses: Any, values: dict[str, Value], lang: str = "en") -> tuple[bool, str]:
    """Evaluate an author's predicate on the learner's values; (holds, what happened)."""
    env: dict[str, Any] = {"torch": torch}
    for name in uses:
        v = values.get(name, _MISSING)
        if v.kind == "missing":
            return False, msg("name_not_defined", lang, name=name)
        env[name.replace(".", "_")] = _python_value(v)
    try:
        result = eval(expr, env)  # noqa: S307 - author code, in the pristine judge
    except Exception as exc:  # noqa: BLE001 - any failure means the predicate does not hold
        return False, f"{type(exc).__name__}: {exc}"
    if isinstance(result, torch.Tensor):
        result = bool(result.all())
    return bool(result), str(result)


def _rule_holds(rule: dict[str, Any], c: _Checker, learner_run: dict[str, Any], code: str) -> bool:
    if rule.get("answer"):
        return False
    if rule.get("calls") and not codeinfo.calls_any(code, rule["calls"]):
        return False
    if rule.get("not_calls") and codeinfo.calls_any(code, rule["not_calls"]):
        return False
    failed = [ch.name for ch in c.checks if not ch.passed]
    wants = rule.get("failed") or ()
    if (
        (wants or rule.get("predicate"))
        and "error" in failed
        and "error" not in wants
        and not (rule.get("error") or rule.get("error_match"))
    ):
        # The run stopped: every check fails and the values are an earlier input's, so a
        # rule about failed checks or values would name a mistake this code did not make.
        return False
    for want in wants:
        if not any(f == want or f.startswith(want + ".") for f in failed):
            return False
    if rule.get("predicate") and not c.predicate(rule["predicate"], rule.get("uses") or ())[0]:
        return False
    etype, emsg = _error_of(learner_run)
    if rule.get("error") and etype.split(".")[-1] != rule["error"].split(".")[-1]:
        return False
    wanted = rule.get("error_match") or ()
    if isinstance(wanted, str):
        wanted = (wanted,)
    if wanted and not any(part in emsg for part in wanted):
        return False
    output = (learner_run or {}).get("output", "")
    return all(s in output for s in rule.get("output_contains") or ())


def _detect(
    diagnose: Any,
    expect: dict[str, Any],
    got: Value,
    want: Value | None,
    code: str,
    c: _Checker,
    solution: str,
) -> list[Feedback]:
    try:
        return list(
            diagnose.detect(
                expect,
                got,
                want,
                code,
                c.lang,
                context=c.learner,
                ref_context=c.reference,
                solution=solution,
            )
        )
    except TypeError:
        pass  # an older detect() without the keyword arguments
    except Exception:  # noqa: BLE001 - a broken detector must not break the verdict
        return []
    try:
        return list(diagnose.detect(expect, got, want, code, c.lang))
    except Exception:  # noqa: BLE001
        return []


def _detectors(
    c: _Checker, code: str, solution: str = ""
) -> tuple[list[Feedback], list[dict[str, Any]]]:
    """Run tutor.judge.diagnose's detectors on every failing name; a broken detector is skipped."""
    try:
        from tutor.judge import diagnose
    except Exception:  # noqa: BLE001 - diagnosis is a bonus, never a reason to fail a check
        return [], []
    found: list[Feedback] = []
    pictures: list[dict[str, Any]] = []
    for name, expect in c.failed_vars.items():
        got, want = c.get(name), c.reference.get(name)
        found += _detect(diagnose, expect, got, want, code, c, solution)
        if want is not None and any(f.endswith(".values") for f in expect.get("failed", ())):
            try:
                picture = diagnose.value_picture(got, want, expect.get("rtol"), expect.get("atol"))
            except Exception:  # noqa: BLE001
                picture = None
            if picture:
                pictures.append(picture)
    return found, pictures


def unique_checks(checks: list[Check]) -> tuple[Check, ...]:
    """One row per property: a name both in ``check`` and in an ``expect`` is checked twice.

    The first row stays, unless a later one fails where it passed. Rows that
    are not about a name (``output``, ``predicate`` ...) stay apart when they
    expect different things.
    """
    rows: dict[Any, Check] = {}
    for check in checks:
        key = check.name if "." in check.name else (check.name, check.expected)
        kept = rows.get(key)
        if kept is None or (kept.passed and not check.passed):
            rows[key] = check
    return tuple(rows.values())


def run_checks(
    spec: dict[str, Any],
    learner: dict[str, Value],
    reference: dict[str, Value] | None,
    learner_run: dict[str, Any] | None = None,
    reference_run: dict[str, Any] | None = None,
    code: str = "",
    lang: str = "en",
    predicates: dict[str, Any] | None = None,
) -> Verdict:
    """Check one answer against a step's spec (see ``Step.spec``) and return the Verdict.

    ``predicates`` holds the evaluator's answers ({predicate_key: [holds, detail]});
    the judge always passes it, so no lesson code runs in the judge. Without it
    (tests, tools) predicates are evaluated here.
    """
    learner_run = learner_run or {"outcome": "ok", "output": ""}
    c = _Checker(learner, reference, lang)
    c.predicates = predicates
    expects = list(spec.get("expect") or ())
    etype, emsg = _error_of(learner_run)
    if etype and not any(e.get("raises") for e in expects):
        c.add(
            Check(
                "error",
                False,
                msg("no_error", lang),
                f"{etype}: {emsg}".rstrip(": "),
                msg("error", lang),
            )
        )
    for name in spec.get("check") or ():
        c.var(name, {})
    for e in expects:
        _run_expectation(c, e, learner_run, reference_run, code)
    passed = all(ch.passed for ch in c.checks)
    if passed:
        return Verdict(True, unique_checks(c.checks))
    feedback = [
        Feedback(r["id"], _text(r.get("message"), lang), "feedback")
        for r in spec.get("feedback") or ()
        if _rule_holds(r, c, learner_run, code)
    ]
    detected: list[Feedback] = []
    pictures: list[dict[str, Any]] = []
    # When the run stopped, the values left are from earlier inputs, and the error's own
    # explanation says what went wrong: no diagnosis of them.
    if not any(ch.name == "error" and not ch.passed for ch in c.checks):
        detected, pictures = _detectors(c, code, spec.get("solution") or "")
    first: dict[str, Feedback] = {}
    for f in feedback + detected:
        first.setdefault(f.id, f)  # a rule's own message beats a detector's on the same id
    unique = list(first.values())
    return Verdict(False, unique_checks(c.checks), tuple(unique), tuple(pictures))
