"""The session as a handout: every input, message, output and verdict, saved as HTML or text.

``Recorder(ui)`` wraps the session's UI: whatever the UI shows is also printed
into a second, recording rich Console (``Console(record=True)``), and what the
learner typed is written there after a ``>>> `` prompt, so ``save(path)`` can
export the whole conversation with rich's own ``export_html``/``export_text``.
The recording Console does not depend on the terminal: plain and interactive
sessions give the same transcript.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.syntax import Syntax
from rich.terminal_theme import MONOKAI
from rich.text import Text

from tutor.render.terminal import LineEditor
from tutor.session.ui import UI, prompted

HTML_SUFFIXES = (".html", ".htm")


class Recorder:
    """A UI that passes everything to ``ui`` and keeps a copy for the transcript."""

    def __init__(self, ui: UI, width: int | None = None) -> None:
        self.ui = ui
        self.console = ui.console
        self.record = Console(
            file=_Discard(),  # type: ignore[arg-type]  # a TextIOBase that keeps nothing
            record=True,
            width=width or ui.console.width,
            force_terminal=True,
            color_system="truecolor",
            no_color=False,
            highlight=False,
            emoji=False,
        )
        self._output = LineEditor()  # a progress bar's redraws leave its last state

    def __getattr__(self, name: str) -> Any:
        # Anything the session's UI offers beyond the protocol (transcript(), session ...).
        return getattr(self.ui, name)

    # -- what the learner typed ---------------------------------------------------

    def typed(self, text: str) -> None:
        """Record an input after its prompt (code highlighted, commands as typed)."""
        self._end_output()
        shown = prompted(text)
        if text.lstrip().startswith(("/", "?")) or not text.strip():
            self.record.print(Text(shown, style="bold"))
        else:
            self.record.print(
                Syntax(shown, "python", theme="monokai", background_color="default", word_wrap=True)
            )

    def read(self) -> str | None:
        text = self.ui.read()
        if text is not None:
            self.typed(text)
        return text

    def type_in(self, code: str) -> str | None:
        text = self.ui.type_in(code)
        if text is not None:
            self.typed(text)
        return text

    def confirm(self, question: str) -> bool:
        answer = bool(self.ui.confirm(question))
        self.record.print(Text(question + ("y" if answer else "n"), style="dim"))
        return answer

    # -- what the tutor showed ----------------------------------------------------

    def show(self, *renderables: Any) -> None:
        self.ui.show(*renderables)
        self._end_output()
        for r in renderables:
            self.record.print(r, crop=False)

    def write_output(self, text: str) -> None:
        self.ui.write_output(text)
        # A line is recorded once finished, as the terminal left it (``\r`` redraws applied).
        self.record.print(Text(self._output.feed(text)), end="")

    def _end_output(self) -> None:
        pending = self._output.flush()
        if pending:
            self.record.print(Text(pending))

    def set_lang(self, lang: str) -> None:
        """Tell the UI the session's language, if it has words of its own (the prompt's hint)."""
        setter = getattr(self.ui, "set_lang", None)
        if setter is not None:
            setter(lang)

    def busy(self, message: str) -> contextlib.AbstractContextManager[Any]:
        return self.ui.busy(message)

    def progress(self, text: str | None) -> None:
        """The live elapsed-time line: drawn by the UI, never recorded in the transcript."""
        draw = getattr(self.ui, "progress", None)
        if draw is not None:
            draw(text)

    # -- the handout ----------------------------------------------------------------

    def html(self, title: str = "torch-tutor") -> str:
        """The transcript as a self-contained HTML page (inline styles)."""
        # The dark theme the code is highlighted for (monokai), as on the projector.
        page = self.record.export_html(theme=MONOKAI, inline_styles=True, clear=False)
        return page.replace("<head>", f"<head>\n<title>{_escape(title)}</title>", 1)

    def text(self) -> str:
        """The transcript as plain text."""
        text = self.record.export_text(clear=False, styles=False)
        # Rich pads tables and Markdown to the full width; a handout needs no trailing spaces.
        return "\n".join(line.rstrip() for line in text.split("\n"))

    def save(self, path: str | Path) -> Path:
        """Write the transcript: HTML when ``path`` ends in .html/.htm, else plain text."""
        target = Path(path).expanduser()
        body = self.html() if target.suffix.lower() in HTML_SUFFIXES else self.text()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(target)  # a handout is never left half written
        return target


class _Discard(io.TextIOBase):
    """Where the recording Console prints: nowhere (its record buffer is what counts)."""

    def write(self, text: str) -> int:
        return len(text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["HTML_SUFFIXES", "Recorder", "prompted"]
