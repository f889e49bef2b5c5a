"""One forked process as the UI sees it, and a request/reply exchange with it.

The exchange reads the reply and the output pipe together, streams output,
enforces the time limit (SIGINT first, SIGKILL after a grace), and reacts to
Ctrl-C and to the zygote reporting the process dead. No torch here.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tutor.sandbox import protocol
from tutor.sandbox._client import ZygoteClient
from tutor.sandbox.limits import Limits, OutputCollector

_MARKER_WAIT = 2.0  # the marker precedes the reply, so this only guards a broken worker
_DRAIN_AFTER_DEATH = 0.3


@dataclass
class Exchange:
    """How one request went."""

    reply: dict[str, Any] | None = None
    output: str = ""
    errors: str = ""  # a script's stderr, when it has a pipe of its own
    duration: float = 0.0
    stopped: str | None = None  # "timeout" or "interrupt" when we stopped it
    killed: bool = False  # we SIGKILLed it
    dead: bool = False  # the process is gone (killed by us or not)
    status: dict[str, Any] | None = field(default=None)


class WorkerHandle:
    """A worker or judge process: its pid, control socket and output pipe."""

    def __init__(
        self, zygote: ZygoteClient, pid: int, fds: list[int], role: str, limits: Limits
    ) -> None:
        self.zygote = zygote
        self.pid = pid
        self.role = role
        self.ctl = socket.socket(fileno=fds[0])
        self.out = fds[1] if len(fds) > 1 else None
        self.limits = limits
        self.ready: dict[str, Any] | None = None
        self.dead = False
        self._next_id = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._interrupts = 0
        self._lock = threading.RLock()
        self.collector: OutputCollector | None = None
        self.errors: ErrorStream | None = None

    # -- called from other threads -----------------------------------------

    def interrupt(self) -> None:
        """Ask the running exchange to interrupt (a second call kills)."""
        with self._lock:
            self._interrupts += 1
        self._wake()

    def notify_exit(self) -> None:
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass

    # -- lifecycle ----------------------------------------------------------

    def wait_ready(self, timeout: float) -> bool:
        """Read the process's first message (its nonce); False if it never came."""
        if self.ready is not None:
            return True
        ready, _, _ = select.select([self.ctl], [], [], timeout)
        if not ready:
            return False
        try:
            msg = protocol.recv_msg(self.ctl)
        except (protocol.ProtocolError, OSError):
            self.dead = True
            return False
        self.ready = msg
        self.collector = OutputCollector(str(msg.get("nonce", "")), self.limits)
        return True

    def kill(self) -> None:
        """SIGKILL the process group (through the zygote, which knows if it is alive)."""
        if not self.dead:
            self.zygote.kill(self.pid)
        self.dead = True

    def close(self) -> None:
        """Kill the process and release the UI's file descriptors."""
        self.kill()
        for fd in (self.out, self._wake_r, self._wake_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.out = None
        self.ctl.close()

    # -- the exchange -------------------------------------------------------

    def exchange(
        self,
        msg: dict[str, Any],
        *,
        timeout: float | None,
        lang: str = "en",
        on_output: Callable[[str], None] | None = None,
        interruptible: bool = False,
        fds: list[int] | None = None,
        errors: ErrorStream | None = None,
    ) -> Exchange:
        """Send ``msg`` (and ``fds``) and wait for its reply, streaming output; enforce the
        time limit. ``errors``: a second output pipe (a script's stderr), read alongside."""
        result = Exchange()
        started = time.monotonic()
        self.errors = errors
        if self.dead or not self.wait_ready(30.0):
            return self._finish_dead(result, started)
        self._next_id += 1
        rid = self._next_id
        with self._lock:
            self._interrupts = 0
        _drain(self._wake_r)
        if self.collector is not None:
            self.collector.reset(on_output)
            self.collector._lang = lang
        try:
            protocol.send_msg(self.ctl, dict(msg, id=rid), fds)
        except OSError:
            return self._finish_dead(result, started)
        _Loop(self, result, rid, timeout, interruptible).run()
        if result.dead:
            return self._finish_dead(result, started)
        if errors is not None:
            errors.drain(0.0)
            result.errors = errors.text()
        result.duration = time.monotonic() - started
        result.output = self.collector.text() if self.collector else ""
        return result

    def _finish_dead(self, result: Exchange, started: float) -> Exchange:
        self.dead = True
        result.dead = True
        self._drain_output(_DRAIN_AFTER_DEATH)
        if self.collector is not None:
            self.collector.flush()
            result.output = self.collector.text()
        if self.errors is not None:
            self.errors.drain(_DRAIN_AFTER_DEATH)
            result.errors = self.errors.text()
        result.status = self.zygote.exit_status(self.pid, 3.0)
        result.duration = time.monotonic() - started
        return result

    def _drain_output(self, seconds: float) -> None:
        if self.out is None or self.collector is None:
            return
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.out], [], [], left)
            if not ready:
                return
            data = _read(self.out)
            if not data:
                return
            self.collector.feed(data)


class _Loop:
    """The select loop of one exchange."""

    def __init__(
        self,
        handle: WorkerHandle,
        result: Exchange,
        rid: int,
        timeout: float | None,
        interruptible: bool,
    ) -> None:
        self.h = handle
        self.result = result
        self.rid = rid
        self.interruptible = interruptible
        now = time.monotonic()
        self.deadline = now + timeout if timeout else None
        self.phase = "run"
        self.interrupts_seen = 0
        self.out_open = handle.out is not None

    def run(self) -> None:
        while True:
            try:
                if self._step():
                    return
            except KeyboardInterrupt:
                # Ctrl-C reached us outside the handler Sandbox.run installs.
                with self.h._lock:
                    self.h._interrupts += 1

    def _step(self) -> bool:
        h, result = self.h, self.result
        if result.reply is not None and (not self.out_open or self._marker_seen()):
            return True
        fds: list[Any] = [h.ctl, h._wake_r] + ([h.out] if self.out_open else [])
        if result.reply is not None:
            fds = [h._wake_r, h.out]
        if h.errors is not None and h.errors.open:
            fds.append(h.errors.fd)
        ready, _, _ = select.select(fds, [], [], self._wait())
        if h.errors is not None and h.errors.fd in ready:
            h.errors.read()
        if h.out is not None and h.out in ready:
            data = _read(h.out)
            if data:
                h.collector.feed(data)  # type: ignore[union-attr]
            else:
                self.out_open = False
        if h.ctl in ready and result.reply is None:
            try:
                msg = protocol.recv_msg(h.ctl)
            except (protocol.ProtocolError, OSError):
                result.dead = True
                return True
            if msg.get("id") == self.rid:
                result.reply = msg
                self.deadline = time.monotonic() + _MARKER_WAIT
        if h._wake_r in ready:
            _drain(h._wake_r)
            if self._check_wake():
                return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return self._on_deadline()
        return False

    def _marker_seen(self) -> bool:
        return self.h.collector is not None and self.rid in self.h.collector.seen

    def _wait(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def _check_wake(self) -> bool:
        h = self.h
        if self.result.reply is None and (h.zygote.has_exited(h.pid) or h.zygote.dead):
            self.result.dead = True
            return True
        with h._lock:
            count = h._interrupts
        if count > self.interrupts_seen and self.result.reply is None:
            self.interrupts_seen = count
            if self.phase == "run" and self.interruptible:
                self._begin_interrupt("interrupt")
            else:
                self.result.stopped = self.result.stopped or "interrupt"
                return self._kill()
        return False

    def _on_deadline(self) -> bool:
        if self.result.reply is not None:
            return True  # the marker never came; keep what arrived
        if self.phase == "run" and self.interruptible:
            self._begin_interrupt("timeout")
            return False
        self.result.stopped = self.result.stopped or "timeout"
        return self._kill()

    def _begin_interrupt(self, why: str) -> None:
        self.phase = "interrupting"
        self.result.stopped = why
        self.h.zygote.signal(self.h.pid, signal.SIGINT)
        self.deadline = time.monotonic() + self.h.limits.grace

    def _kill(self) -> bool:
        self.h.kill()
        self.result.killed = True
        self.result.dead = True
        return True


class ErrorStream:
    """A script's stderr: a pipe of its own, decoded, streamed and cut like the output."""

    def __init__(
        self, fd: int, limits: Limits, lang: str, on_output: Callable[[str], None] | None
    ) -> None:
        self.fd = fd
        self.open = True
        # No marker ever comes on this pipe: the nonce is one the worker never saw.
        self.collector = OutputCollector(os.urandom(8).hex(), limits, lang, on_output)

    def read(self) -> None:
        data = _read(self.fd)
        if data:
            self.collector.feed(data)
        else:
            self.open = False

    def drain(self, seconds: float) -> None:
        """Read what is there (waiting up to ``seconds`` for more), then flush."""
        deadline = time.monotonic() + seconds
        while self.open:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            self.read()
        self.collector.flush()

    def text(self) -> str:
        return self.collector.text()


@contextmanager
def forward_sigint(handle: WorkerHandle) -> Iterator[None]:
    """While a run blocks the main thread, Ctrl-C interrupts the worker, not the UI."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, lambda _s, _f: handle.interrupt())
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return b""


def _drain(fd: int) -> None:
    os.set_blocking(fd, False)
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass
