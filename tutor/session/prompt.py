"""The interactive prompt (prompt_toolkit): highlighting, multi-line editing, completion, history.

One small piece per prompt_toolkit hook, as in ptpython: ``key_bindings()``
(Enter as in IPython: on the last line it submits a complete statement, else
it starts a new indented line; Alt-Enter submits from anywhere),
``SandboxCompleter`` (names from the live worker and torch, run off the UI
thread), and ``PromptUI`` which puts them together behind the ``tutor.session.ui.UI``
interface the session uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import Completer, Completion, ThreadedCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.filters import has_completions, is_done
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import style_from_pygments_cls
from pygments.lexers.python import PythonLexer
from pygments.styles import get_style_by_name
from rich.console import Console

from tutor.i18n import t
from tutor.session import commands
from tutor.session.ui import (
    CONTINUATION,
    PROMPT,
    dedent_clause,
    input_complete,
    is_yes,
    next_indent,
)

if TYPE_CHECKING:
    from tutor.sandbox import Sandbox

_WORD = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*\.?$")
_COMMAND = re.compile(r"^/\w*$")


def key_bindings() -> KeyBindings:
    """Enter as in IPython: on the input's last line it runs complete code (else a new,
    indented line); on an earlier line of a block it adds a line. Alt-Enter runs from anywhere.
    """
    kb = KeyBindings()

    @kb.add("enter", filter=~is_done)
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None:
            # Enter on an open completion menu takes the chosen item; with none chosen it
            # closes the menu and goes on as Enter.
            if state.current_completion is not None:
                buffer.apply_completion(state.current_completion)
                return
            buffer.cancel_completion()
        doc = buffer.document
        if not on_last_line(doc):
            # Editing inside a block (a recalled one, say): Enter adds a line, as in IPython
            # and ptpython; the hint at the right says Alt-Enter runs the block.
            buffer.insert_text("\n" + next_indent(doc.text_before_cursor))
            return
        at_end = not doc.text_after_cursor.strip()
        if at_end and (moved := dedent_clause(doc.text_before_cursor)) != doc.text_before_cursor:
            buffer.text, buffer.cursor_position = moved, len(moved)
            doc = buffer.document
        # One line: complete code runs wherever the cursor is (IPython does the same).
        if input_complete(doc.text if doc.line_count == 1 else doc.text_before_cursor):
            buffer.validate_and_handle()
            return
        buffer.insert_text("\n" + next_indent(doc.text_before_cursor))

    @kb.add("escape", "enter")
    def _run(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    @kb.add("backspace", filter=~is_done)
    def _backspace(event: KeyPressEvent) -> None:
        # In the indentation, Backspace takes one level back, as Enter gave it.
        buffer = event.current_buffer
        before = buffer.document.current_line_before_cursor
        if buffer.selection_state:
            buffer.cut_selection()
        elif before and not before.strip(" ") and len(before) % 4 == 0:
            buffer.delete_before_cursor(4)
        else:
            buffer.delete_before_cursor(event.arg)

    @kb.add("tab", filter=~has_completions)
    def _tab(event: KeyPressEvent) -> None:
        # Tab at the start of a line (or after spaces) indents, as in an editor.
        buffer = event.current_buffer
        before = buffer.document.current_line_before_cursor
        if not before.strip():
            buffer.insert_text("    ")
        else:
            buffer.start_completion(insert_common_part=True)

    return kb


class SandboxCompleter(Completer):
    """Completions for the dotted name before the cursor, from the worker's namespace.

    ``sandbox.call("complete")`` answers [] at once while PyTorch is loading or
    code runs; wrapped in a ThreadedCompleter it never blocks typing.
    """

    def __init__(self, sandbox: Sandbox | None, commands: Iterable[str] = ()) -> None:
        self.sandbox = sandbox
        self.commands = sorted(commands)

    def get_completions(self, document: Document, complete_event: Any) -> Iterator[Completion]:
        text = document.text_before_cursor
        if _COMMAND.match(text):
            for name in self.commands:
                if name.startswith(text):
                    yield Completion(name, -len(text))
            return
        match = _WORD.search(text)
        if not match or self.sandbox is None:
            return
        word = match.group(0)
        try:
            found = self.sandbox.call("complete", text=word)
        except Exception:  # noqa: BLE001 - completion must never break typing
            return
        items = [i for i in found or () if isinstance(i, str)]
        if not word.endswith("_"):
            # In-place twins (zero_ beside zeros) only when the learner types the underscore.
            present = set(items)
            items = [
                i
                for i in items
                if not (
                    i.endswith("_")
                    and not i.endswith("__")
                    and any(p.startswith(i[:-1]) and p != i for p in present)
                )
            ]
        for item in items:
            yield Completion(item, -len(word), display=item.rpartition(".")[2])


class _KeptHistory(FileHistory):
    """File history that a full disk or an unreadable file never turns into a crash: the
    lines stay in memory for this session (history is a convenience, progress is not)."""

    def load_history_strings(self) -> Iterable[str]:
        try:
            return list(super().load_history_strings())
        except OSError:
            return []

    def store_string(self, string: str) -> None:
        try:
            super().store_string(string)
        except OSError:
            pass


def on_last_line(doc: Document) -> bool:
    """Whether the cursor is on the input's last line (blank lines at the end not counted)."""
    return doc.on_last_line or doc.cursor_position_row >= (
        doc.line_count - doc.empty_line_count_at_the_end()
    )


def block_hint(doc: Document, lang: str) -> str:
    """The hint shown at the right while the cursor is inside a block: how to run it."""
    return "" if doc.line_count == 1 or on_last_line(doc) else t("block_hint", lang)


def history_for(path: Path | None) -> History:
    """File history in the data folder (across sessions), or in memory when nothing is saved."""
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return _KeptHistory(str(path))


def type_delay(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between typed characters of ``/solution`` ($TORCH_TUTOR_TYPE_DELAY, else 0.03)."""
    env = os.environ if environ is None else environ
    try:
        return max(0.0, float(env.get("TORCH_TUTOR_TYPE_DELAY", "")))
    except ValueError:
        return 0.03


async def _type(buffer: Buffer, text: str, delay: float) -> None:
    """Insert ``text`` into ``buffer`` one character at a time (each insert redraws the prompt)."""
    for char in text:
        buffer.insert_text(char)
        await asyncio.sleep(delay)


class PromptUI:
    """The terminal UI: a prompt_toolkit session for input, a rich Console for output."""

    animates = True  # type_in() shows the code being typed

    def __init__(
        self,
        console: Console,
        sandbox: Sandbox | None,
        history: Path | None,
        lang: str = "en",
        **session_kwargs: Any,
    ) -> None:
        self.console = console
        self.lang = lang  # the session sets it again on /lang
        completer = ThreadedCompleter(SandboxCompleter(sandbox, commands.names()))
        color = not console.no_color and console.color_system is not None
        kwargs: dict[str, Any] = dict(
            multiline=True,
            key_bindings=key_bindings(),
            history=history_for(history),
            completer=completer,
            complete_while_typing=False,
            enable_history_search=False,
            prompt_continuation=lambda width, line, wrap: CONTINUATION,
            rprompt=self._rprompt,
            lexer=PygmentsLexer(PythonLexer) if color else None,
            style=style_from_pygments_cls(get_style_by_name("monokai")) if color else None,
            include_default_pygments_style=False,
            color_depth=None,
        )
        kwargs.update(session_kwargs)
        self.type_delay = type_delay()
        self.session: PromptSession[str] = PromptSession(**kwargs)

    def set_lang(self, lang: str) -> None:
        """The language of the prompt's own hint (the session calls this on /lang)."""
        self.lang = lang

    def _rprompt(self) -> Any:
        hint = block_hint(get_app().current_buffer.document, self.lang)
        return [("fg:ansibrightblack", hint)] if hint else ""

    def read(self) -> str | None:
        while True:
            try:
                return self.session.prompt(ANSI(PROMPT))
            except KeyboardInterrupt:
                continue  # Ctrl-C clears the line, as in Python
            except EOFError:
                return None

    def type_in(self, code: str) -> str | None:
        """Type ``code`` into the prompt a character at a time, then wait for Enter.

        The characters go into the live buffer from a task started in
        ``pre_run``, so the room sees them appear (highlighted) where a learner
        types; the learner may edit before Enter runs it. Ctrl-C cancels.
        """
        text = code.rstrip("\n")
        if not input_complete(text):
            text += "\n"  # a block needs its closing blank line before Enter runs it

        def start() -> None:
            app = get_app()
            app.create_background_task(_type(app.current_buffer, text, self.type_delay))

        try:
            return self.session.prompt(ANSI(PROMPT), pre_run=start)
        except (KeyboardInterrupt, EOFError):
            return None

    def show(self, *renderables: Any) -> None:
        for r in renderables:
            # crop=False: a traceback or program output longer than the screen is left to the
            # terminal to wrap (as Python's are), so a caret stays under its column.
            self.console.print(r, crop=False)

    def write_output(self, text: str) -> None:
        self.console.file.write(text)
        self.console.file.flush()

    def busy(self, message: str) -> contextlib.AbstractContextManager[Any]:
        return self.console.status(message, spinner="dots")

    def progress(self, text: str | None) -> None:
        """Redraw one line in place (``None`` clears it): the elapsed time of a long run."""
        if not self.console.is_terminal:
            return
        self.console.file.write("\r\x1b[2K" + (f"\x1b[2m{text}\x1b[0m" if text else ""))
        self.console.file.flush()

    def confirm(self, question: str) -> bool:
        try:
            # A separate one-line prompt: options given to self.session.prompt would stick.
            answer = PromptSession[str]().prompt(question)
        except (KeyboardInterrupt, EOFError):
            return False
        return is_yes(answer)


__all__ = [
    "PromptUI",
    "SandboxCompleter",
    "block_hint",
    "history_for",
    "key_bindings",
    "on_last_line",
    "type_delay",
]
