"""Turn a step's expectations and two snapshots into a Verdict (runs in the judge process only).

``run_checks`` compares the learner's values with the reference solution's,
property by property (type, shape, dtype, device, values, requires_grad, grad
...), then checks exceptions, output, the code itself and predicates, and
finally gathers the lesson's targeted feedback and the built-in detectors'.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tutor import codeinfo
from tutor.judge import diagnose
from tutor.judge._checktext import msg
from tutor.judge.checker import _Checker
from tutor.judge.checker import evaluate as evaluate  # part of this module's API
from tutor.judge.fill import fill, unfilled
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Check, Feedback, Verdict


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
        before = len(c.checks)
        c.var(e["var"], e)
        own = _text(e.get("message"), lang)
        if own:  # the table's own words replace the default line of each failing row
            c.checks[before:] = [
                ch if ch.passed else dataclasses.replace(ch, message=fill(own, c.learner))
                for ch in c.checks[before:]
            ]
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
                e.get("id") or "raises",
                ok,
                want,
                f"{etype}: {emsg}" if etype else msg("no_error", lang),
                "" if ok else msg("raises", lang, want=e["raises"]),
            )
        )
    output = (learner_run or {}).get("output", "")
    if e.get("output") is not None:
        ok = _lines(output) == _lines(e["output"])
        c.add(
            Check(
                e.get("id") or "output", ok, e["output"], output, "" if ok else msg("output", lang)
            )
        )
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
            Check(
                e.get("id") or "calls",
                not (missing or banned),
                expected,
                ", ".join(_shown_calls(found))[:400],
                text,
            )
        )
    if e.get("predicate"):
        ok, detail = c.predicate(e["predicate"], e.get("uses") or ())
        said = _text(e.get("expected"), lang)
        message = fill(_text(e.get("message"), lang), c.learner)
        if not message:
            message = msg(
                "predicate_said" if said else "predicate", lang, expr=said or e["predicate"]
            )
        if said or e.get("message"):  # in words: no source, no True/False
            detail = "" if ok else msg("predicate_no", lang)
        shown = said or ("" if e.get("message") else e["predicate"])
        c.add(Check(e.get("id") or "predicate", ok, shown, detail, "" if ok else message))


def _text(text: Any, lang: str) -> str:
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("en") or "")
    return str(text or "")


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


def _detectors(
    c: _Checker, code: str, solution: str = "", off: frozenset[str] = frozenset()
) -> tuple[list[Feedback], list[dict[str, Any]]]:
    """Run the detectors on every failing name (``off``: ids the step turned off)."""
    found: list[Feedback] = []
    pictures: list[dict[str, Any]] = []
    for name, expect in c.failed_vars.items():
        got, want = c.get(name), c.reference.get(name)
        try:
            found += diagnose.detect(
                expect,
                got,
                want,
                code,
                c.lang,
                context=c.learner,
                ref_context=c.reference,
                solution=solution,
                off=off,
            )
        except Exception:  # noqa: BLE001 - a broken detector must not break the verdict
            pass
        if want is not None and any(f.endswith(".values") for f in expect.get("failed", ())):
            try:
                picture = diagnose.value_picture(got, want, expect.get("rtol"), expect.get("atol"))
            except Exception:  # noqa: BLE001
                picture = None
            if picture:
                pictures.append(picture)
    failed = [ch.name for ch in c.checks if not ch.passed]
    if failed and not c.failed_vars:  # no value failed: the detectors that read the whole answer
        try:
            found += diagnose.detect_whole(
                failed,
                code,
                c.lang,
                context=c.learner,
                ref_context=c.reference,
                solution=solution,
                off=off,
            )
        except Exception:  # noqa: BLE001 - a broken detector must not break the verdict
            pass
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
        Feedback(
            r["id"],
            fill(_text(r.get("message"), lang), learner),
            "feedback",
            tuple(dict.fromkeys(str(n).split(".")[0] for n in r.get("failed") or ())),
        )
        for r in spec.get("feedback") or ()
        if _rule_holds(r, c, learner_run, code)
        # a rule quoting a value this answer never made speaks of another situation
        and not unfilled(_text(r.get("message"), lang), learner)
    ]
    detected: list[Feedback] = []
    pictures: list[dict[str, Any]] = []
    # When the run stopped, the values left are from earlier inputs, and the error's own
    # explanation says what went wrong: no diagnosis of them.
    if not any(ch.name == "error" and not ch.passed for ch in c.checks):
        off = frozenset(spec.get("quiet") or ())
        detected, pictures = _detectors(c, code, spec.get("solution") or "", off)
    first: dict[str, Feedback] = {}
    for f in feedback + detected:
        first.setdefault(f.id, f)  # a rule's own message beats a detector's on the same id
    unique = list(first.values())
    return Verdict(False, unique_checks(c.checks), tuple(unique), tuple(pictures))


def _shown_calls(found: set[str]) -> list[str]:
    """The calls as the learner reads them: a method called on an expression is
    ``.uniform_``, without the matcher's ``?`` receiver; a call of an expression is left out."""
    return sorted({n[1:] if n.startswith("?.") else n for n in found if n != "?"})
