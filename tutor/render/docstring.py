"""PyTorch's docstrings (reStructuredText with LaTeX) as Markdown a reader can take in: for
``?torch.arange``.

The docstrings are written for Sphinx: ``:math:`\\frac{a}{b}```, ``:attr:`step```,
``.. warning::``, ``Args:`` sections, ``Example::`` blocks. Shown raw they are noise to a
beginner, so :func:`readable` turns them into Markdown (rendered by rich like the rest of the
tutor): formulas in plain symbols (``⌈(end − start) / step⌉``), roles as inline code,
directives as labelled paragraphs, argument lists as bullets, examples as code blocks. It is
a reader for the docstrings torch ships, not a reST implementation: what it does not know
stays as text. UI side: never imports torch.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from tutor.i18n import CATALOGS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["latex", "readable", "summaries", "summary"]


@functools.cache
def summaries(lang: str, folder: Path = CATALOGS / "api") -> dict[str, str]:
    """One line per PyTorch name, in ``lang`` (catalogs/api/LANG.toml); none for English,
    whose docstrings already start with one."""
    path = folder / f"{lang}.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return {str(k): str(v) for k, v in tomllib.load(f).items() if isinstance(v, str)}


def summary(names: list[str], lang: str) -> str | None:
    """The line for the first of ``names`` (the documented name, then as typed) that has one."""
    found = summaries(lang)
    for name in names:
        for key in (name, name.removeprefix("torch.").replace("nn.", "torch.nn.", 1)):
            if key in found:
                return found[key]
    return None


# ---------------------------------------------------------------- LaTeX -> plain symbols

_SYMBOLS = {
    "times": "×", "cdot": "·", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "circ": "∘",
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "equiv": "≡", "sim": "~", "propto": "∝", "in": "∈", "notin": "∉", "subset": "⊂",
    "infty": "∞", "sum": "Σ", "prod": "Π", "int": "∫", "partial": "∂", "nabla": "∇",
    "pm": "±", "mp": "∓", "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒",
    "mapsto": "↦", "forall": "∀", "exists": "∃", "ldots": "…", "dots": "…", "cdots": "⋯",
    "vdots": "⋮", "mid": "|", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "lVert": "‖", "rVert": "‖", "|": "‖", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊",
    "rfloor": "⌋", "langle": "⟨", "rangle": "⟩", "lbrace": "{", "rbrace": "}", "{": "{",
    "}": "}", "_": "_", "%": "%", "&": "&", "#": "#", "quad": "  ", "qquad": "    ",
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "neg": "¬", "land": "∧", "lor": "∨",
    "cap": "∩", "cup": "∪", "emptyset": "∅", "star": "⋆", "ell": "ℓ", "top": "ᵀ",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
_FUNCTIONS = {"log", "ln", "exp", "max", "min", "sin", "cos", "tan", "tanh", "sigmoid",
              "arg", "argmax", "argmin", "lim", "sup", "inf", "det", "sqrt", "softmax", "erf",
              "sign", "mean", "var", "std", "sgn"}  # fmt: skip
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "C": "ℂ", "Q": "ℚ", "E": "𝔼"}
_TEXT_COMMANDS = {"text", "textrm", "textit", "textbf", "texttt", "mathrm", "mathbf", "mathit",
                  "mathsf", "mathtt", "operatorname", "boldsymbol", "bm", "mbox", "mathcal",
                  "mathnormal", "textnormal", "emph"}  # fmt: skip
_SPACES = {"hspace", "vspace", "hskip", "kern"}
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303",
            "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}  # fmt: skip
_SUPERSCRIPTS = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _group(text: str, i: int) -> tuple[str, int]:
    """The argument at ``text[i:]``: a ``{...}`` group (braces matched) or one token."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return "", i
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            if text[j] == "{" and (j == 0 or text[j - 1] != "\\"):
                depth += 1
            elif text[j] == "}" and text[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return text[i + 1 : j], j + 1
        return text[i + 1 :], len(text)
    if text[i] == "\\":
        match = _COMMAND.match(text, i)
        assert match is not None
        if match.group(1) in _TEXT_COMMANDS or match.group(1) == "mathbb":
            arg, end = _group(text, match.end())  # _\text{in}: the command with its argument
            return match.group(0) + "{" + arg + "}", end
        return match.group(0), match.end()
    return text[i], i + 1


def _simple(text: str) -> bool:
    """One name or number: needs no parentheses around it in ``a / b``."""
    return bool(re.fullmatch(r"[\w.′ᵀ\u0300-\u036f]+", text.strip()))


def _wrap(text: str) -> str:
    text = text.strip()
    return text if _simple(text) else f"({text})"


def latex(source: str) -> str:
    """A LaTeX formula as plain text with Unicode symbols: ``\\frac{a - b}{c}`` -> ``(a − b) / c``,
    ``\\text{out}_{i}`` -> ``out[i]``, ``x^{2}`` -> ``x²``, ``\\sqrt{k}`` -> ``√k``."""
    out: list[str] = []
    i = 0
    text = source
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if text.startswith("\\\\", i):  # a line break in an aligned block
                out.append("\n")
                i += 2
                if i < len(text) and text[i] == "[":  # \\[-1.ex]
                    i = text.find("]", i) + 1 or len(text)
                continue
            match = _COMMAND.match(text, i)
            assert match is not None
            name, i = match.group(1), match.end()
            if name in _TEXT_COMMANDS:
                arg, i = _group(text, i)
                out.append(latex(arg) if "\\" in arg else arg.replace("\\_", "_"))
            elif name == "mathbb":
                arg, i = _group(text, i)
                out.append(_BLACKBOARD.get(arg.strip(), arg))
            elif name in ("frac", "dfrac", "tfrac"):
                top, i = _group(text, i)
                bottom, i = _group(text, i)
                out.append(f"{_wrap(latex(top))} / {_wrap(latex(bottom))}")
            elif name == "sqrt":
                arg, i = _group(text, i)
                out.append("√" + _wrap(latex(arg)))
            elif name in _ACCENTS:
                arg, i = _group(text, i)
                out.append(latex(arg) + _ACCENTS[name])
            elif name in _SPACES:
                _, i = _group(text, i)
                out.append("  ")
            elif name == "rule":
                _, i = _group(text, i)
                _, i = _group(text, i)
                out.append("─" * 24)
            elif name in ("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr",
                          "Bigl", "Bigr", "displaystyle", "limits", "nolimits", "bf", "it",
                          "rm", "tt", "sf", "cal", "nonumber", "notag"):  # fmt: skip
                continue
            elif name in ("begin", "end"):
                _, i = _group(text, i)  # the environment's name
                if name == "begin" and text[i : i + 1] == "{":
                    _, i = _group(text, i)  # an array's column spec
            elif name == "not" and text[i : i + 1] == "=":
                out.append("≠")
                i += 1
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name in _FUNCTIONS:
                out.append(name + (" " if text[i : i + 1] not in ("(", "{", "_", "^") else ""))
            else:
                out.append(name)
        elif ch in "_^":
            arg, i = _group(text, i + 1)
            arg = latex(arg).strip()
            out.append(_script(out, ch, arg))
        elif ch in "{}":
            i += 1
        elif ch == "&":
            i += 1
        elif ch == "-" and _binary(out):
            out.append("−")
            i += 1
        elif ch == "~":
            out.append(" ")
            i += 1
        else:
            out.append(ch)
            i += 1
    lines = "".join(out).split("\n")
    tidy = []
    for line in lines:
        line = re.sub(r"[ \t]{2,}", " ", line).strip()
        line = re.sub(r"([⌈⌊(\[{]) ", r"\1", line)
        tidy.append(re.sub(r" ([⌉⌋)\]}])", r"\1", line))
    return "\n".join(line for line in tidy if line).strip()


def _binary(out: list[str]) -> bool:
    """A minus with something before it on its line (not a sign at the start)."""
    before = "".join(out).rstrip(" ").rsplit("\n", 1)[-1]
    return bool(before) and before[-1] not in "([{,=<>≤≥≠(|⌈⌊"


def _script(out: list[str], kind: str, arg: str) -> str:
    """A sub- or superscript after what ``out`` ends with: ``out[i]``, ``H_in``, ``x²``."""
    if kind == "^":
        if arg in ("T", "⊤", "ᵀ"):
            return "ᵀ"
        if re.fullmatch(r"[0-9+\-=()n]", arg) or re.fullmatch(r"[0-9]+", arg):
            return arg.translate(_SUPERSCRIPTS)
        return "^" + _wrap(arg)
    base = re.search(r"(\w+)$", "".join(out))
    if base and len(base.group(1)) >= 2 and base.group(1).isascii():
        return f"[{arg}]"  # a named thing indexed: out[i], stride[i]
    return "_" + (arg if _simple(arg) else f"({arg})")


# ---------------------------------------------------------------- reST -> Markdown

_ROLE = re.compile(r":(?:py:)?(math|attr|func|meth|class|obj|mod|data|ref|exc|const|doc|term)"
                   r":`([^`]+)`")  # fmt: skip
_LITERAL = re.compile(r"``(.+?)``")
_LINK = re.compile(r"`([^`<]+?)\s*<([^>]+)>`_+")
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Keyword args|Keyword arguments|Kwargs|Returns|Return type"
    r"|Raises|Shape|Attributes|Example|Examples|Note|Notes|Warning|Warnings|See also|Yields"
    r"|Inputs|Outputs|Variables)\s*(::?)\s*$",
    re.IGNORECASE,
)
_LISTED = {"args", "arguments", "parameters", "keyword args", "keyword arguments", "kwargs",
           "raises", "attributes", "inputs", "outputs", "variables"}  # fmt: skip
_DIRECTIVE = re.compile(r"^\.\.\s+([\w-]+)::\s*(.*)$")
_LABELS = {
    "note": "Note", "warning": "Warning", "seealso": "See also", "tip": "Tip",
    "important": "Important", "caution": "Caution", "danger": "Danger", "hint": "Hint",
    "deprecated": "Deprecated since", "versionadded": "New in", "versionchanged": "Changed in",
}  # fmt: skip
_DROPPED = {"testsetup", "testcleanup", "autosummary", "toctree", "include", "image",
            "figure", "raw", "only", "currentmodule", "autoclass", "autofunction"}  # fmt: skip


def _inline(text: str) -> str:
    """Roles, literals and links of one paragraph as Markdown."""

    def role(match: re.Match[str]) -> str:
        kind, body = match.group(1), match.group(2)
        if kind == "math":
            return latex(body)
        label = re.match(r"(.*?)\s*<([^>]+)>$", body)
        if label:  # :ref:`text <target>`
            body = label.group(1) or label.group(2)
            return body if kind in ("ref", "doc", "term") else f"`{body}`"
        if body.startswith("~"):
            body = body[1:].rsplit(".", 1)[-1]
        if kind in ("ref", "doc", "term"):
            return body
        return f"`{body}`"

    text = _ROLE.sub(role, text)
    text = _LITERAL.sub(lambda m: f"`{m.group(1)}`", text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = re.sub(r"`([^`]+)`__", r"\1", text)  # an anonymous link, its target elsewhere
    text = text.replace("\\*", "*")
    # A bare * outside code (``*args``, ``(*, H)``) would start emphasis in Markdown.
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else re.sub(r"(?<!\*)\*(?!\*)", r"\\*", p) for p in parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: list[str], i: int, base: int) -> tuple[list[str], int]:
    """The lines from ``i`` indented deeper than ``base`` (blank lines inside kept), dedented."""
    taken: list[str] = []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
        taken.append(lines[i])
        i += 1
    while taken and not taken[-1].strip():
        taken.pop()
    while taken and not taken[0].strip():
        taken.pop(0)
    deepest = min((_indent(t) for t in taken if t.strip()), default=0)
    return [t[deepest:] for t in taken], i


def _fence(lines: list[str], lang: str = "") -> list[str]:
    return ["", f"```{lang}", *lines, "```", ""]


def _paragraph(lines: list[str]) -> str:
    return _inline(" ".join(line.strip() for line in lines if line.strip()))


def _items(lines: list[str]) -> list[str]:
    """An ``Args:`` block as bullets: ``name (type): what`` with its continuation lines."""
    bullets: list[list[str]] = []
    base = min((_indent(line) for line in lines if line.strip()), default=0)
    for line in lines:
        if not line.strip():
            continue
        if _indent(line) == base and not line.lstrip().startswith(("-", "*")) or not bullets:
            bullets.append([line])
        else:
            bullets[-1].append(line)
    out = []
    for item in bullets:
        head, *rest = item
        head = head.strip()
        match = re.match(r"([\w*]+(?:,\s*[\w*]+)*)(\s*\([^)]*\))?\s*:\s*(.*)$", head)
        if match and rest is not None:
            name, kind, what = match.groups()
            name = name.replace("*", "\\*")
            text = _paragraph([what, *rest])
            out.append(f"- **{name}**{_inline(kind or '')}: {text}")
        else:
            out.append("- " + _paragraph(item))
    return out


def readable(doc: str) -> str:
    """A torch docstring as Markdown (see the module's docstring)."""
    lines = doc.expandtabs(4).splitlines()
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(_paragraph(para))
            out.append("")
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        base = _indent(line)
        if not stripped:
            flush()
            i += 1
            continue
        directive = _DIRECTIVE.match(stripped)
        section = _SECTION.match(stripped)
        if directive:
            flush()
            name, arg = directive.group(1).lower(), directive.group(2).strip()
            body, i = _block(lines, i + 1, base)
            body = [b for b in body if not b.lstrip().startswith(":")]  # :noindex: and such
            if name == "math":
                out.extend(_fence(latex(" ".join([arg, *body])).splitlines()))
            elif name in ("code-block", "code", "sourcecode", "testcode", "doctest"):
                out.extend(_fence(body, "python"))
            elif name in _LABELS:
                label = _LABELS[name]
                if name.startswith(("version", "deprecated")):  # the argument is a version
                    lead, inner = (f"{label} {arg}:" if arg else f"{label}:"), body
                else:  # the argument is the first line of the text
                    lead, inner = f"{label}:", [arg, *body] if arg else body
                # The body may hold its own formulas and examples: read it as a docstring.
                out.extend([f"**{lead}** {readable(chr(10).join(inner))}".rstrip(), ""])
            elif name == "method" or name == "function":
                out.extend([f"`{arg}`", ""] + ([_paragraph(body), ""] if body else []))
            elif name in _DROPPED:
                pass
            else:  # an unknown directive: its text, without the markup
                if body:
                    out.extend([_paragraph(body), ""])
            continue
        if stripped.startswith(".. "):  # a comment or a label (.. _name:)
            flush()
            _, i = _block(lines, i + 1, base)
            continue
        if section:
            flush()
            title = section.group(1)
            body, i = _block(lines, i + 1, base)
            literal = section.group(2) == "::" or title.lower().startswith("example")
            out.append(f"**{title[0].upper() + title[1:]}:**")
            if literal:
                out.extend(_fence(body, "python"))
            elif title.lower() in _LISTED:
                out.extend(["", *_items(body), ""])
            else:
                out.extend(["", *_readable_lines(body), ""])
            continue
        if stripped.startswith(">>>"):
            flush()
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][base:] if _indent(lines[i]) >= base else lines[i].strip())
                i += 1
            out.extend(_fence(block, "python"))
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            # A paragraph that introduces a literal block.
            para.append(stripped[:-1] if not stripped[:-2].endswith(" ") else stripped[:-2])
            flush()
            body, i = _block(lines, i + 1, base)
            out.extend(_fence(body, "python" if any(">>>" in b for b in body) else ""))
            continue
        if re.match(r"^([-*+]|\d+\.)\s", stripped):  # a list item, with its own continuation
            flush()
            body, i = _block(lines, i + 1, base)
            marker, _, first = stripped.partition(" ")
            marker = "-" if marker in "-*+" else marker
            # Its text may hold formulas and directives of its own: read it as a docstring.
            head, *more = readable("\n".join([first.strip(), *body])).splitlines() or [""]
            out.append(f"{marker} {head}")
            out.extend(" " * (len(marker) + 1) + line if line else "" for line in more)
            continue
        para.append(stripped)
        i += 1
    flush()
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _readable_lines(lines: list[str]) -> list[str]:
    return readable("\n".join(lines)).splitlines()
