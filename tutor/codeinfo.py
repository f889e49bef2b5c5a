"""Facts about a piece of learner code read from its syntax tree (pure; safe in the UI process).

``calls(code)`` gives the dotted names the code calls (``torch.arange``,
``x.add_``) and the operators it uses (``@``, ``*``, ``/``, ``**``, ``+=`` ...);
``matches(calls, pattern)`` applies the lesson format's rule; ``names(code)``
gives the variable names the code reads or assigns.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

_OPERATORS = {
    ast.MatMult: "@",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.Add: "+",
    ast.Sub: "-",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


def parse(code: str) -> ast.Module | None:
    """The syntax tree of ``code``, or None when it does not parse."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Map local names bound by imports to what they stand for (``np`` -> ``numpy``)."""
    alias: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                root = a.name.split(".")[0]
                alias[a.asname or root] = a.name if a.asname else root
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                alias[a.asname or a.name] = f"{node.module}.{a.name}"
    return alias


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name; ``?.b`` when the base is an expression."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    else:
        parts.append("?")
    return ".".join(reversed(parts))


def calls(code: str) -> set[str]:
    """Every call (as a dotted name, imports resolved) and operator used in ``code``."""
    tree = parse(code)
    if tree is None:
        return set()
    alias = _aliases(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name:
                head, _, rest = name.partition(".")
                if head in alias:
                    name = alias[head] + ("." + rest if rest else "")
                found.add(name)
        elif isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            found.add(_OPERATORS[type(node.op)])
        elif isinstance(node, ast.AugAssign) and type(node.op) in _OPERATORS:
            found.add(_OPERATORS[type(node.op)] + "=")
    return found


def matches(found: set[str], pattern: str) -> bool:
    """Whether a call in ``found`` matches ``pattern``.

    A dotted pattern matches the full dotted call (``torch.arange``); a bare
    name matches any call ending in it (``arange``, ``x.add_`` -> ``add_``);
    operators match themselves, and ``*`` also matches ``*=``.
    """
    if not pattern[:1].isalpha() and pattern[:1] != "_":
        return pattern in found or pattern + "=" in found
    if "." in pattern:
        return pattern in found or any(c.endswith("." + pattern) for c in found)
    return any(c == pattern or c.endswith("." + pattern) for c in found)


def calls_any(code: str, patterns: list[str] | tuple[str, ...]) -> list[str]:
    """The patterns that ``code`` matches."""
    found = calls(code)
    return [p for p in patterns if matches(found, p)]


def operand_pairs(
    code: str,
    ops: tuple[type[ast.operator | ast.cmpop], ...],
    calls: Collection[str] = (),
    *,
    augmented: bool = True,
) -> list[tuple[ast.expr, ast.expr]]:
    """The (left, right) operands of each binary operator or comparison of ``ops`` in ``code``
    (``a * b``, ``a < b``, and ``a *= b`` when ``augmented``) and of each call named in
    ``calls``: ``torch.mul(a, b)``, or ``a.mul(b)``, whose owner is the left operand."""
    tree = parse(code)
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.BinOp) and isinstance(node.op, ops):
            pairs.append((node.left, node.right))
        elif augmented and isinstance(node, ast.AugAssign) and isinstance(node.op, ops):
            pairs.append((node.target, node.value))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ops):
            pairs.append((node.left, node.comparators[0]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in calls
        ):
            owner, args = node.func.value, list(node.args)
            if not (isinstance(owner, ast.Name) and owner.id == "torch"):
                args.insert(0, owner)
            if len(args) >= 2:
                pairs.append((args[0], args[1]))
    return pairs


_SIMPLE = (ast.Name, ast.Attribute, ast.Subscript, ast.Call)


def receiver(code: str, method: str, limit: int = 30) -> str:
    """The tensor ``code`` calls ``method`` on, as written: ``w`` for ``arr = w.numpy()``,
    ``x`` for ``torch.mean(x)``, ``(w * 2)`` for ``(w * 2).numpy()``; "" when the code
    calls it on several different things, or on something longer than ``limit``."""
    tree = parse(code)
    alias = _aliases(tree) if tree is not None else {}
    found: dict[str, None] = {}
    for node in ast.walk(tree) if tree is not None else ():
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
        ):
            continue
        owner: ast.expr | None = node.func.value
        if isinstance(owner, ast.Name) and alias.get(owner.id, owner.id) == "torch":
            owner = node.args[0] if node.args else None  # torch.mean(x): the tensor is x
        text = " ".join((ast.get_source_segment(code, owner) or "").split()) if owner else ""
        if text and not isinstance(owner, _SIMPLE):
            text = f"({text})"
        found[text] = None
    names = [n for n in found if n]
    return names[0] if len(found) == 1 and names and len(names[0]) <= limit else ""


def is_literal(node: ast.expr) -> bool:
    """A literal (``2``, ``-1.5``, a string): never a tensor."""
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, (ast.Constant, ast.JoinedStr))


def names(code: str) -> set[str]:
    """The plain variable names ``code`` reads or assigns (attribute roots included)."""
    tree = parse(code)
    if tree is None:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def assigned(code: str) -> set[str]:
    """The names ``code`` binds at top level (assignments, for-targets, imports, defs)."""
    tree = parse(code)
    if tree is None:
        return set()
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
    return out


def _root(node: ast.AST) -> str | None:
    """The variable at the bottom of ``x.grad``, ``x[0]``, ``x.view(2, 3)``: ``x``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


# Methods that change their tensor though their name has no trailing underscore.
_CHANGING = frozenset({"backward", "retain_grad", "register_hook"})


def mutated(code: str) -> set[str]:
    """The names whose object ``code`` changes without binding the name again.

    ``x.add_(1)``, ``x.grad.zero_()`` and ``x.requires_grad_()`` (a method
    ending in ``_`` changes its tensor), ``x[0] = 1``, ``x.grad = None`` and
    ``x[0] += 1``, ``y.retain_grad()``, and ``y.backward()`` (it fills the
    gradients of ``y``'s graph).
    """
    tree = parse(code)
    if tree is None:
        return set()
    found: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if (attr.endswith("_") and not attr.startswith("__")) or attr in _CHANGING:
                found.add(_root(node.func.value))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(node, ast.AugAssign) and isinstance(target, ast.Name):
                    found.add(target.id)  # x += 1 changes a tensor in place
                for part in ast.walk(target):
                    if isinstance(part, (ast.Attribute, ast.Subscript)):
                        found.add(_root(part))
    return {name for name in found if name}


def uses(code: str, roots: Collection[str]) -> set[tuple[str, str]]:
    """The attributes and methods ``code`` uses on the names in ``roots``, a trailing ``_``
    dropped: ``x.mul_(2)`` -> ``{("x", "mul")}``."""
    tree = parse(code)
    return _uses(tree, roots) if tree is not None else set()


def bare_uses(code: str, roots: Collection[str]) -> set[tuple[str, str]]:
    """``uses`` in the expression statements of ``code`` that are not ``print(...)``."""
    tree = parse(code)
    if tree is None:
        return set()
    found: set[tuple[str, str]] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and not (
            isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id == "print"
        ):
            found |= _uses(stmt, roots)
    return found


def _uses(tree: ast.AST, roots: Collection[str]) -> set[tuple[str, str]]:
    return {
        (node.value.id, node.attr.rstrip("_"))
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in roots
    }


def answer_inputs(
    earlier: list[str],
    code: str,
    wanted: Collection[str] = (),
    given: Collection[str] = (),
    since: int | None = None,
) -> list[str]:
    """The learner's answer: ``code`` and the earlier inputs it builds on, oldest first.

    An earlier input belongs to the answer when it binds or changes
    (``mutated``) a name that the answer reads, or one of ``wanted`` (the names
    the step checks) that ``code`` does not bind itself, transitively; an
    input that only sets torch's state (``torch.manual_seed(0)``) belongs to
    every answer after it. The names in ``given`` (the set-up's) are looked for
    only in ``earlier[since:]`` (with ``since`` None, nowhere): before that, the
    answer uses the set-up's values, whatever earlier tries did to them.
    """
    start = len(earlier) if since is None else since
    needed = (names(code) | set(wanted)) - defined(code)
    chosen: list[str] = []
    for index in range(len(earlier) - 1, -1, -1):
        before = earlier[index]
        looked_for = needed - set(given) if index < start else needed
        defines = defined(before)
        if (defines | mutated(before)) & looked_for or _sets_torch_state(before):
            chosen.append(before)
            needed = (needed - defines) | (names(before) - defines)
    return [*reversed(chosen), code]


def defined(code: str) -> set[str]:
    """The names ``code`` binds to a new object: ``assigned`` without the targets of ``x += 1``,
    which reads ``x`` and changes it (``mutated``)."""
    tree = parse(code)
    if tree is None:
        return set()
    bound = assigned(code)
    updated = {
        node.target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
    }
    if not updated:
        return bound
    plain = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.For, ast.With, ast.comprehension))
        for target in _targets(node)
        if isinstance(target, ast.Name)
    }
    return bound - (updated - plain)


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        found = [part for t in node.targets for part in ast.walk(t)]
    elif isinstance(node, (ast.AnnAssign, ast.For, ast.comprehension)):
        found = list(ast.walk(node.target))
    elif isinstance(node, ast.With):
        found = [
            part
            for item in node.items
            if item.optional_vars is not None
            for part in ast.walk(item.optional_vars)
        ]
    else:
        found = []
    return found


def relevant_code(inputs: list[str], code: str) -> str:
    """``code`` plus the earlier inputs that define names it reads, transitively.

    So ``a = torch.arange(6)`` then ``x = a.reshape(2, 3)`` is judged as both
    lines, but an earlier wrong try that the learner replaced is not.
    ``inputs`` may end with ``code`` itself.
    """
    earlier = inputs[:-1] if inputs and inputs[-1] == code else inputs
    return "\n".join(answer_inputs(list(earlier), code))


def _sets_torch_state(code: str) -> bool:
    """Whether ``code`` is only calls of torch functions (``torch.manual_seed(42)``): global
    state that every later input depends on, though it assigns no name."""
    tree = parse(code)
    if tree is None or not tree.body:
        return False
    return all(
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and isinstance(stmt.value.func.value, ast.Name)
        and stmt.value.func.value.id == "torch"
        for stmt in tree.body
    )


_STATEMENTS = (
    "Assign",
    "AugAssign",
    "AnnAssign",
    "Import",
    "ImportFrom",
    "For",
    "While",
    "FunctionDef",
    "ClassDef",
    "With",
    "If",
    "Delete",
)


def looks_like_code(text: str) -> bool:
    """Whether an input is a statement (an assignment, import, loop ...) or a print call."""
    tree = parse(text)
    if tree is None:
        return False
    for node in ast.walk(tree):
        if type(node).__name__ in _STATEMENTS:
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            return True
    return False


# Names and calls that write a printed value (``tensor([1, 2])``, ``torch.Size([3])``), not code
# that computes one.
_PRINTED_FORMS = frozenset(
    "tensor array Size dtype device True False None nan inf torch.Size torch.device "
    "torch.tensor numpy.array np.array".split()
)


def explores(text: str, defined: Collection[str] = ()) -> bool:
    """Whether an expression is exploration rather than an answer: it reads one of the
    ``defined`` variables (``x.grad``) or calls something that is not a printed value's form
    (``torch.arange(3)``, ``len(x)``; not ``tensor([1, 2])``)."""
    tree = parse(text)
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    expr = tree.body[0].value
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in defined and node.id != "torch":
            return True
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name and name not in _PRINTED_FORMS and not name.startswith("?"):
                return True
    return False


__all__ = [
    "answer_inputs",
    "assigned",
    "defined",
    "explores",
    "calls",
    "calls_any",
    "is_literal",
    "looks_like_code",
    "matches",
    "mutated",
    "names",
    "operand_pairs",
    "parse",
    "relevant_code",
]
