"""Limits on a run: time, memory and output, and the code that enforces them.

The UI side uses ``Limits`` and ``OutputCollector``; the worker calls
``apply_memory_limit``. Nothing here imports torch.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from tutor.sandbox import messages

DEFAULT_TIMEOUT = 10.0
DEFAULT_GRACE = 1.5
DEFAULT_MEMORY_MB = 4096
DEFAULT_MAX_LINES = 2000
DEFAULT_MAX_BYTES = 200 * 1024
# Address space torch needs beyond what an idle worker maps: thread stacks and
# malloc arenas of the intra-op pool grow with the number of cores.
_HEADROOM_MB = 512
_PER_CORE_MB = 96


@dataclass(frozen=True)
class Limits:
    """How long a run may take, how much memory and how much output it may produce."""

    timeout: float = DEFAULT_TIMEOUT
    grace: float = DEFAULT_GRACE
    memory_mb: int = DEFAULT_MEMORY_MB
    max_lines: int = DEFAULT_MAX_LINES
    max_bytes: int = DEFAULT_MAX_BYTES


def vm_size_bytes() -> int:
    """Return this process's mapped address space (VmSize), or 0 when unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def apply_memory_limit(memory_mb: int) -> int:
    """Cap the address space at what is mapped now plus ``memory_mb``; return the cap.

    Called in a CPU worker right after fork: the idle worker's own mappings
    (torch is ~1 GB of address space) are measured, not guessed. Returns 0 where
    no limit could be set.
    """
    import resource

    base = vm_size_bytes()
    if not base:
        return 0
    headroom = (_HEADROOM_MB + _PER_CORE_MB * (os.cpu_count() or 1)) * 1024 * 1024
    cap = base + headroom + memory_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError):
        return 0
    return cap


class OutputCollector:
    """Decode a worker's output stream, stream it live and cut it past a limit.

    The worker ends each request's output with a marker holding a per-worker
    nonce and the request id; ``feed`` strips markers and reports when the one
    for the awaited request has passed. Bytes after the limit are still read
    (so the worker never blocks on a full pipe) but dropped, and a note is
    added once.
    """

    def __init__(
        self,
        nonce: str,
        limits: Limits,
        lang: str = "en",
        on_output: Callable[[str], None] | None = None,
    ) -> None:
        self._marker = re.compile(b"\x00\x1d" + re.escape(nonce.encode()) + b":(\\d+)\x1d\x00")
        self._max_len = len(nonce) + 30
        self._limits = limits
        self._lang = lang
        self._on_output = on_output
        self._pending = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._parts: list[str] = []
        self._bytes = 0
        self._lines = 0
        self._cut = False
        self.seen: set[int] = set()

    def reset(self, on_output: Callable[[str], None] | None) -> None:
        """Start collecting a new request's output."""
        self._on_output = on_output
        self._parts = []
        self._bytes = self._lines = 0
        self._cut = False
        self.seen = set()

    def feed(self, data: bytes) -> None:
        """Take a chunk read from the pipe."""
        buf = self._pending + data
        pos = 0
        for match in self._marker.finditer(buf):
            self._emit(buf[pos : match.start()])
            self.seen.add(int(match.group(1)))
            pos = match.end()
        rest = buf[pos:]
        # Hold back a tail that could be the start of a marker split across reads.
        hold = rest.rfind(b"\x00")
        if hold != -1 and len(rest) - hold < self._max_len:
            self._pending = rest[hold:]
            rest = rest[:hold]
        else:
            self._pending = b""
        self._emit(rest)

    def flush(self) -> None:
        """Emit what was held back (the stream ended without a marker)."""
        data, self._pending = self._pending, b""
        self._emit(data)
        self._emit_text(self._decoder.decode(b"", final=True))

    def text(self) -> str:
        """Return the collected output, with the cut note if it was cut."""
        return "".join(self._parts)

    def _emit(self, data: bytes) -> None:
        if data:
            self._emit_text(self._decoder.decode(data))

    def _emit_text(self, chunk: str) -> None:
        if not chunk or self._cut:
            return
        room_bytes = self._limits.max_bytes - self._bytes
        room_lines = self._limits.max_lines - self._lines
        keep = self._fit(chunk, room_bytes, room_lines)
        if keep:
            self._parts.append(keep)
            self._bytes += len(keep.encode("utf-8", "replace"))
            self._lines += keep.count("\n")
            if self._on_output:
                self._on_output(keep)
        if len(keep) < len(chunk):
            self._cut = True
            note = messages.text(
                "output_cut",
                self._lang,
                lines=self._limits.max_lines,
                kb=self._limits.max_bytes // 1024,
            )
            note = ("" if not keep or keep.endswith("\n") else "\n") + note + "\n"
            self._parts.append(note)
            if self._on_output:
                self._on_output(note)

    @staticmethod
    def _fit(chunk: str, room_bytes: int, room_lines: int) -> str:
        if room_bytes <= 0 or room_lines <= 0:
            return ""
        if len(chunk) * 4 > room_bytes:
            chunk = chunk.encode("utf-8", "replace")[:room_bytes].decode("utf-8", "ignore")
        if chunk.count("\n") > room_lines:
            idx = -1
            for _ in range(room_lines):
                idx = chunk.index("\n", idx + 1)
            chunk = chunk[: idx + 1]
        return chunk
