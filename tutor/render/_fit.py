"""Tables that fit a narrow screen (a projector at 60-70 columns) without cutting a word.

rich shrinks a table that is too wide by narrowing its widest wrapping columns, down
past their longest word, so an id or a file name comes out in 2-character pieces.
``Fitted(table)`` sizes the columns itself: every column starts at its natural width;
while the table is too wide, the column with the most room to spare gives up a cell,
never going below its longest unbreakable unit (a word; one character of Chinese).
When even that does not fit, each row is shown as a block of ``header: value`` lines.

Columns marked ``no_wrap`` keep their whole width; a cell that is a ``Text`` with
``no_wrap`` and ``overflow="ellipsis"`` (a printed tensor, cut with … by design) may
shrink to a few cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from tutor.render._cjkwrap import cjk_words

_CUT_MIN = 8  # cells an ellipsis column keeps
_WIDE = 10_000


def _plain_words(text: str) -> Iterable[tuple[int, int, str]]:
    for found in re.finditer(r"\S+", text):
        yield found.start(), found.end(), found.group(0)


def _text_of(cell: RenderableType) -> str | None:
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        return cell
    return None


def _longest_unit(text: str) -> int:
    """The widest piece ``text`` can be broken into (a word; a CJK character)."""
    widest = 0
    for line in text.splitlines() or [""]:
        for _start, _end, unit in cjk_words(line, _plain_words):
            widest = max(widest, cell_len(unit.strip()))
    return widest


def _widest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


class Fitted:
    """``table``, sized to fit the width without breaking a word (see the module docstring)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._widths = [column.width for column in table.columns]

    def _cells(self, column: Column) -> list[RenderableType]:
        return list(column.cells)

    def _span(self, console: Console, options: ConsoleOptions, column: Column) -> tuple[int, int]:
        """(least, natural) width of a column's content, padding and borders left out."""
        least = natural = 0
        for cell in self._cells(column):
            text = _text_of(cell)
            if text is None:
                measured = Measurement.get(console, options.update(width=_WIDE), cell)
                low, high = measured.minimum, measured.maximum
            else:
                high = _widest_line(text)
                low = high if column.no_wrap else _longest_unit(text)
            if isinstance(cell, Text) and cell.no_wrap and cell.overflow == "ellipsis":
                low = min(high, _CUT_MIN)  # a printed tensor, cut with … by design
            least, natural = max(least, low), max(natural, high)
        head = _text_of(column.header) if self.table.show_header else None
        if head:
            # A header may wrap at its spaces, never inside a word (CJK words included):
            # rich cuts a header too narrow for a word with an ellipsis.
            words = [cell_len(w) for w in head.split()]
            whole = _widest_line(head)
            least = max(least, whole if column.no_wrap else max(words, default=0))
            natural = max(natural, whole)
        return least, natural

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self.table
        for column, width in zip(table.columns, self._widths, strict=True):
            column.width = width
        spans = [self._span(console, options, c) for c in table.columns]
        natural = Measurement.get(console, options.update(width=_WIDE), table).maximum
        overhead = natural - sum(high for _, high in spans)
        room = options.max_width - overhead
        if sum(high for _, high in spans) <= room:
            yield table
            return
        if sum(low for low, _ in spans) > room:
            yield self.stacked()
            return
        if self._rich_keeps_words(console, options, spans):
            yield table  # rich's own sizing breaks no word here: keep its look
            return
        widths = [high for _, high in spans]
        while sum(widths) > room:
            # The column with the most to spare gives up one cell.
            i = max(range(len(widths)), key=lambda k: widths[k] - spans[k][0])
            widths[i] -= 1
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        yield table

    def _rich_keeps_words(
        self, console: Console, options: ConsoleOptions, spans: list[tuple[int, int]]
    ) -> bool:
        """Whether rich's own column widths leave every column its longest word."""
        table = self.table
        try:
            inner = options.update_width(options.max_width - table._extra_width)  # noqa: SLF001
            widths = table._calculate_column_widths(console, inner)  # noqa: SLF001
        except Exception:  # noqa: BLE001 - a private helper of rich's; size it ourselves
            return False
        pads = [self.table._get_padding_width(i) for i in range(len(spans))]  # noqa: SLF001
        return all(w - pad >= low for w, pad, (low, _) in zip(widths, pads, spans, strict=True))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table)

    def stacked(self) -> Group:
        """Each row as a block: its first cell, then ``header: value`` for the others."""
        table = self.table
        columns = table.columns
        rows: list[RenderableType] = []
        if table.title:
            rows.append(Text(str(table.title), style="bold"))
        for r in range(table.row_count):
            cells = [list(c.cells)[r] for c in columns]
            first = cells[0] if not isinstance(cells[0], str) else Text(cells[0])
            rows.append(first if isinstance(first, Text) else Text(str(first)))
            for column, cell in zip(columns[1:], cells[1:], strict=True):
                text = _text_of(cell)
                if text is not None and not text.strip():
                    continue
                head = _text_of(column.header) or ""
                line = Text("  ")
                if head:
                    line.append(f"{head}: ", style="dim")
                line.append_text(cell if isinstance(cell, Text) else Text(str(cell)))
                rows.append(line)
        return Group(*rows)


__all__ = ["Fitted"]
