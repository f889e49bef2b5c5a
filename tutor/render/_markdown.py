"""rich's Markdown, with three changes for a tutor's panels.

A numbered list keeps its dots ("1. Build", as the author wrote it: rich prints
"1 Build"), and code blocks and tables have no blank padding line above and below
(rich adds one inside the block on top of the paragraph gap, so a snippet or a
table sat between two empty lines on each side), and ``KEEP`` (an unbreakable space
inside a short inline code span, see ``tutor.render.text.keep_code_whole``) is drawn as
a space.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, ListItem, Markdown, MarkdownElement, TableElement
from rich.segment import Segment
from rich.syntax import Syntax
from rich.table import Table

# Stands in for a space that must not break a line (inside a short inline code span): a
# one-cell character that is not whitespace, drawn as a space again when rendered.
KEEP = "\ue000"


class _DottedItem(ListItem):
    def render_number(
        self, console: Console, options: ConsoleOptions, number: int, last_number: int
    ) -> RenderResult:
        width = len(str(last_number)) + 3  # the number, its dot and a space, plus the indent
        lines = console.render_lines(
            self.elements, options.update(width=options.max_width - width), style=self.style
        )
        style = console.get_style("markdown.item.number", default="none")
        numeral = Segment(f"{number}.".rjust(width - 1) + " ", style)
        padding = Segment(" " * width, style)
        for i, line in enumerate(lines):
            yield padding if i else numeral
            yield from line
            yield Segment("\n")


class _SnugCodeBlock(CodeBlock):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        yield Syntax(code, self.lexer_name, theme=self.theme, word_wrap=True, padding=(0, 1))


class _SnugTable(TableElement):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for table in super().__rich_console__(console, options):
            if isinstance(table, Table):
                table.show_edge = False  # rich's SIMPLE box draws its edges as blank lines
            yield table


class TutorMarkdown(Markdown):
    """Markdown with dotted numbered lists and snug code blocks."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "list_item_open": _DottedItem,
        "fence": _SnugCodeBlock,
        "code_block": _SnugCodeBlock,
        "table_open": _SnugTable,
    }

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # rich lets a list's inner paragraphs ask for a blank line before the list itself, so
        # text that opens with a list started with an empty line: drop a leading one.
        started = False
        for piece in super().__rich_console__(console, options):
            if not started and isinstance(piece, Segment) and piece.text == "\n":
                continue
            started = True
            if isinstance(piece, Segment) and KEEP in piece.text:
                piece = Segment(piece.text.replace(KEEP, " "), piece.style, piece.control)
            yield piece


__all__ = ["KEEP", "TutorMarkdown"]
