"""Program output as a terminal leaves it on screen: ``\\r`` and ``\\b`` rewrite the line.

A progress bar (tqdm and friends) redraws one line with a carriage return. A
terminal shows the last drawing; a transcript, a panel or a pipe would show
every drawing run together. ``LineEditor`` applies what the terminal does, so
those show what the learner saw.
"""

from __future__ import annotations


class LineEditor:
    """Feed output in pieces; finished lines come out as a terminal would have left them.

    ``\\r`` moves back to the line's start and what follows overwrites it (a
    shorter text leaves the end of the longer one, as on a terminal); ``\\b``
    steps back one column. The line being drawn is held until its newline.
    """

    def __init__(self) -> None:
        self._cells: list[str] = []
        self._column = 0

    def feed(self, text: str) -> str:
        """Take ``text``; return the lines it finished, each with its newline."""
        done: list[str] = []
        for char in text:
            if char == "\n":
                done.append("".join(self._cells) + "\n")
                self._cells, self._column = [], 0
            elif char == "\r":
                self._column = 0
            elif char == "\b":
                self._column = max(0, self._column - 1)
            else:
                if self._column < len(self._cells):
                    self._cells[self._column] = char
                else:
                    self._cells.append(char)
                self._column += 1
        return "".join(done)

    @property
    def pending(self) -> str:
        """The line being drawn, as it stands."""
        return "".join(self._cells)

    def flush(self) -> str:
        """The unfinished line as it stands (no newline added), and start afresh."""
        text, self._cells, self._column = self.pending, [], 0
        return text


def as_shown(text: str) -> str:
    """``text`` as a terminal would leave it on screen."""
    editor = LineEditor()
    return editor.feed(text) + editor.flush()


__all__ = ["LineEditor", "as_shown"]
