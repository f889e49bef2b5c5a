"""What the session needs from a user interface, and the two that need no terminal.

``Session`` talks to a ``UI``: read one input (a whole block of code, a
command or an answer), show renderables, stream output, show a spinner while
waiting, ask yes/no. ``PromptUI`` (tutor.session.prompt) is the interactive one;
``PlainUI`` reads lines from a stream (pipes, screen readers); ``ScriptUI``
feeds a list of inputs (tests and lesson authors).
"""

from __future__ import annotations

import ast
import codeop
import contextlib
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Iterator
from typing import Any, Protocol, TextIO

from rich.console import Console

from tutor.i18n import all_words
from tutor.render.terminal import LineEditor

PROMPT = ">>> "
CONTINUATION = "... "


class UI(Protocol):
    """The session's view of the terminal."""

    console: Console

    def read(self) -> str | None:
        """One input (a complete block); None when the learner leaves (Ctrl-D, end of input)."""

    def show(self, *renderables: Any) -> None:
        """Print renderables."""

    def write_output(self, text: str) -> None:
        """Stream raw output of the learner's code as it arrives."""

    def busy(self, message: str) -> contextlib.AbstractContextManager[Any]:
        """A spinner while waiting (for PyTorch to start, for a check)."""

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question; no unless the answer starts with y (or 是/好)."""

    def type_in(self, code: str) -> str | None:
        """Put ``code`` at the prompt as if typed (for the room to read); the input, or None."""


def prompted(code: str) -> str:
    """``code`` as it stood at the prompt: ``>>> `` before the first line, ``... `` after."""
    lines = code.rstrip("\n").split("\n")
    return "\n".join((PROMPT if i == 0 else CONTINUATION) + line for i, line in enumerate(lines))


def make_console(
    file: TextIO | None = None,
    *,
    width: int | None = None,
    plain: bool = False,
    no_color: bool = False,
    record: bool = False,
) -> Console:
    """The one Console the session prints through."""
    kwargs: dict[str, Any] = {
        "file": file,
        "width": width,
        "no_color": no_color or plain,
        "record": record,
        "highlight": False,
        "emoji": False,
    }
    if plain:
        kwargs.update(color_system=None, force_terminal=False, force_interactive=False)
    return Console(**kwargs)


def starts_command(text: str) -> bool:
    """Commands (``/hint``) and look-ups (``?name``, ``?? question``) are one line."""
    return text.lstrip().startswith(("/", "?"))


def input_complete(text: str) -> bool:
    """Whether Enter should submit ``text`` (else it starts a new line).

    A command or an empty input submits; code submits when it compiles
    (codeop decides, as Python's own prompt does) and does not end in a
    compound statement, which, as in Python, ends with a blank line; text that
    can never compile submits too, so the learner sees the SyntaxError (or the
    question is answered). As at Python's prompt, a blank line inside an open
    bracket or a triple-quoted string (a docstring's paragraphs) is part of the
    input, not its end.
    """
    if not text.strip() or (starts_command(text) and "\n" not in text.strip()):
        return True
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1].strip():
        # Still open, and nothing wrong so far: the blank line belongs to the input.
        return not (open_at_end(text) and _incomplete(text))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for "is" with a literal, etc.
            compiled = codeop.compile_command(text, "<input>", "exec")
    except (SyntaxError, ValueError, OverflowError):
        return True
    if compiled is None:
        return False
    return not _ends_in_block(text)


def _incomplete(text: str) -> bool:
    """Whether Python's compiler (codeop) wants more lines, rather than seeing an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return codeop.compile_command(text, "<input>", "exec") is None
    except (SyntaxError, ValueError, OverflowError):
        return False


def _ends_in_block(text: str) -> bool:
    """Whether the last statement is a compound one (for, if, def ...) written over several lines.

    Python waits for a blank line after such a block; a one-line
    ``while True: pass`` runs at once, as in IPython.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    if not tree.body or not hasattr(tree.body[-1], "body"):
        return False
    last = tree.body[-1]
    return (last.end_lineno or last.lineno) > last.lineno


def open_at_end(text: str) -> bool:
    """Whether ``text`` ends inside an open bracket, a triple-quoted string or a backslash
    continuation, as Python's own tokenizer reads it."""
    try:
        for _ in tokenize.generate_tokens(io.StringIO(text).readline):
            pass
    except tokenize.TokenError:
        return True  # "EOF in multi-line string" / "EOF in multi-line statement"
    except (SyntaxError, ValueError):
        return False  # e.g. inconsistent dedent: Python will say so
    return False


def _last_line_code(text: str) -> str | None:
    """The last line of ``text`` without its comment or an open string (the tokenizer knows a
    ``#`` in a string from a comment); None when the whole line is inside a triple-quoted
    string begun above it."""
    lines = text.split("\n")
    last = lines[-1]
    cut: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and token.start[0] == len(lines):
                cut = token.start[1]
    except tokenize.TokenError as exc:
        where = exc.args[1] if len(exc.args) > 1 else None
        if "string" in str(exc.args[0]) and isinstance(where, tuple):
            if where[0] < len(lines):
                return None
            cut = where[1]
    except (SyntaxError, ValueError):
        pass
    return last if cut is None else last[:cut]


def next_indent(text: str) -> str:
    """The indentation for a new line after ``text``: deeper after a colon, shallower after a
    line that ends its block (``return``, ``pass``, ``break``, ``continue``, ``raise``); a
    comment-only line, and a line inside a triple-quoted string, keep their own."""
    last = text.split("\n")[-1]
    indent = last[: len(last) - len(last.lstrip())]
    code = _last_line_code(text)
    if code is None or not code.strip():
        return indent
    if code.rstrip().endswith(":"):
        indent += "    "
    elif _ENDS_BLOCK.match(code):
        indent = indent[:-4] if indent.endswith("    ") else ""
    return indent


_ENDS_BLOCK = re.compile(r"\s+(return|pass|break|continue|raise)\b")
_CLAUSE = re.compile(r"(\s+)(else|elif\b.*|except\b.*|finally)\s*:\s*$")


def dedent_clause(text: str) -> str:
    """``text`` with its last line moved out one level when it is ``else:``, ``elif ...:``,
    ``except ...:`` or ``finally:`` typed at the body's indentation (where Enter left it).

    Python's own prompt leaves that to the learner; a beginner gets a SyntaxError.
    A clause already dedented by hand (shallower than the line above) stays put.
    """
    lines = text.split("\n")
    code = _last_line_code(text)
    found = _CLAUSE.match(code) if code is not None else None
    above = [line for line in lines[:-1] if line.strip()]
    if found is None or not above or len(found.group(1)) < 4:
        return text
    previous = above[-1]
    if len(found.group(1)) < len(previous) - len(previous.lstrip()):
        return text
    lines[-1] = lines[-1][4:]
    return "\n".join(lines)


_CONTINUES = ("else", "elif", "except", "finally", "case")


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return codeop.compile_command(text, "<input>", "exec") is not None
    except (SyntaxError, ValueError, OverflowError):
        return False


class BlockReader:
    """Collects lines into inputs by the same rule as the interactive prompt.

    Without a terminal nobody types the blank line that closes a block, so an
    unindented line after a finished block closes it too, as a file would.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []

    @property
    def pending(self) -> bool:
        return bool(self.lines)

    def feed(self, line: str) -> list[str]:
        """Add a line; return the inputs it finishes (none, one, or two)."""
        line = line.rstrip("\r\n")
        done: list[str] = []
        first = line.split(None, 1)[0].rstrip(":") if line.strip() else ""
        if (
            self.lines
            and line.strip()
            and not line[:1].isspace()
            and first not in _CONTINUES
            and _compiles("\n".join(self.lines))
        ):
            done.append("\n".join(self.lines).rstrip())
            self.lines = []
        self.lines.append(line)
        text = "\n".join(self.lines)
        if input_complete(text):
            self.lines = []
            done.append(text.rstrip())
        return done

    def flush(self) -> str | None:
        """What is left at the end of input."""
        text = "\n".join(self.lines).rstrip()
        self.lines = []
        return text or None


class PlainUI:
    """Plain text: lines from ``stdin``, no prompt_toolkit; each input echoed after its prompt."""

    def __init__(self, console: Console, stdin: TextIO | None = None, echo: bool = True) -> None:
        self.console = console
        self.stdin = stdin if stdin is not None else sys.stdin
        self.echo = echo
        self._reader = BlockReader()
        self._ready: list[str] = []
        # Not a terminal (a pipe, a file, a screen reader): nothing would redraw a line that a
        # progress bar rewrites with \r, so each line is written once, as a terminal shows it.
        self._lines = None if _is_terminal(self.console.file) else LineEditor()

    def _write(self, text: str) -> None:
        if self._lines is not None and self._lines.pending:
            text = self._lines.flush() + "\n" + text
        self.console.file.write(text)
        self.console.file.flush()

    def read(self) -> str | None:
        prompt = PROMPT
        while not self._ready:
            self._write(prompt)
            line = self.stdin.readline()
            if not line:
                self._write("\n")
                return self._reader.flush()
            if self.echo:
                self._write(line if line.endswith("\n") else line + "\n")
            self._ready += self._reader.feed(line)
            prompt = CONTINUATION
        return self._ready.pop(0)

    def show(self, *renderables: Any) -> None:
        # Rich pads Markdown to the full width; plain text should not carry trailing spaces.
        for r in renderables:
            with self.console.capture() as captured:
                self.console.print(r, crop=False)  # long traceback lines stay whole
            text = "\n".join(line.rstrip() for line in captured.get().split("\n"))
            self._write(text)

    def write_output(self, text: str) -> None:
        if self._lines is None:
            self._write(text)
            return
        done = self._lines.feed(text)
        if done:
            self.console.file.write(done)
            self.console.file.flush()

    @contextlib.contextmanager
    def busy(self, message: str) -> Iterator[None]:
        self.console.print(message, style="dim")
        yield

    def type_in(self, code: str) -> str | None:
        # Without a terminal there is nothing to animate: the code is shown at the prompt.
        self._write(prompted(code) + "\n")
        return code

    def confirm(self, question: str) -> bool:
        self._write(question)
        answer = self.stdin.readline()
        if self.echo:
            self._write(answer if answer.endswith("\n") else answer + "\n")
        return is_yes(answer)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def is_yes(answer: str) -> bool:
    """y, yes, 是, 好, 对 (any case): any catalog's ``language.yes`` words mean yes."""
    return answer.strip().lower().startswith(tuple(all_words("language.yes")))


class ScriptUI(PlainUI):
    """Feeds a fixed list of inputs (each may hold several lines); output goes to a string."""

    def __init__(self, inputs: list[str], width: int = 80) -> None:
        text = "".join(i if i.endswith("\n") else i + "\n" for i in inputs)
        console = make_console(io.StringIO(), width=width, plain=True)
        super().__init__(console, io.StringIO(text))

    def transcript(self) -> str:
        """Everything shown so far."""
        text: str = self.console.file.getvalue()  # type: ignore[attr-defined]
        return text


__all__ = [
    "CONTINUATION",
    "PROMPT",
    "UI",
    "BlockReader",
    "PlainUI",
    "ScriptUI",
    "dedent_clause",
    "input_complete",
    "is_yes",
    "make_console",
    "next_indent",
    "prompted",
    "starts_command",
]
