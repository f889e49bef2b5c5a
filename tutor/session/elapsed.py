"""An elapsed-time line while the learner's code runs longer than about a second.

``Elapsed`` is driven by ``tick()``: a background thread calls it four times a second, tests
call it with a fake clock (no timing in tests). The line is drawn through the UI's
``progress(text)`` (a terminal redraws one line in place; a plain UI, a transcript or a
pipe draws nothing, so nothing flickers and a transcript stays the same run after run).
Output from the code clears the line first, and it comes back on the next tick once the
output ended its line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tutor.i18n import t

AFTER = 1.0  # seconds of running before the line appears
TICK = 0.25


class Elapsed:
    """The line's state for one run: when it started, whether it is on screen."""

    def __init__(
        self,
        progress: Callable[[str | None], None],
        lang: str,
        clock: Callable[[], float] = time.monotonic,
        after: float = AFTER,
    ) -> None:
        self.progress = progress
        self.lang = lang
        self.clock = clock
        self.after = after
        self.start = clock()
        self.shown: str | None = None  # the text on screen, or None
        self.line_open = False  # the code's output left a line unfinished
        self.lock = threading.Lock()

    def tick(self) -> None:
        """Draw or update the line when the run has gone on long enough."""
        with self.lock:
            seconds = int(self.clock() - self.start)
            if self.clock() - self.start < self.after or self.line_open:
                return
            text = t("running", self.lang, seconds=seconds)
            if text != self.shown:
                self.progress(text)
                self.shown = text

    def output(self, text: str, write: Callable[[str], None]) -> None:
        """The code printed ``text``: clear the line, write, remember whether the line ended."""
        with self.lock:
            if self.shown is not None:
                self.progress(None)
                self.shown = None
            write(text)
            if text:
                self.line_open = not text.endswith("\n")

    def stop(self) -> None:
        with self.lock:
            if self.shown is not None:
                self.progress(None)
                self.shown = None


class Ticker:
    """Calls ``elapsed.tick()`` every TICK seconds until stopped (the UI process's thread)."""

    def __init__(self, elapsed: Elapsed) -> None:
        self.elapsed = elapsed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self.elapsed.stop()

    def _run(self) -> None:
        while not self._stop.wait(TICK):
            try:
                self.elapsed.tick()
            except Exception:  # noqa: BLE001 - a progress line must never break a run
                return


@contextlib.contextmanager
def writing(ui: Any, lang: str, write: Callable[[str], None]) -> Iterator[Callable[[str], None]]:
    """The output writer for one run, with the elapsed-time line when ``ui`` draws one."""
    progress = getattr(ui, "progress", None)
    if progress is None:
        yield write
        return
    clock = Elapsed(progress, lang)
    with Ticker(clock):
        yield lambda text: clock.output(text, write)


__all__ = ["AFTER", "Elapsed", "Ticker", "writing"]
