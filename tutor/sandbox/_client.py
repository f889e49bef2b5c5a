"""The UI's side of the zygote: spawn it, ask for forks, hear about deaths.

A reader thread owns the receiving side of the zygote socket; requests are
sent under a lock from any thread. No torch here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from tutor.sandbox import protocol


class ZygoteClient:
    """One zygote process and the bookkeeping of its forks and exits."""

    def __init__(self, workdir: str, preload: list[str], python: str = sys.executable) -> None:
        self.workdir = workdir
        self.preload = preload
        self.python = python
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] | None = None
        self.dead = False
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._forked: dict[int, tuple[int, list[int]]] = {}
        self._exits: dict[int, dict[str, Any]] = {}
        self.children: set[int] = set()  # forked and not yet reported dead
        self._next_req = 0
        self._thread: threading.Thread | None = None
        self.on_exit: Callable[[int], None] | None = None
        self.on_ready: Callable[[], None] | None = None
        self.lost = ""  # "stopped" when found stopped and killed; "" otherwise

    @property
    def log_path(self) -> str:
        return os.path.join(self.workdir, "zygote.log")

    def start(self) -> None:
        """Spawn the zygote; returns at once (torch imports in the background)."""
        ui_end, zygote_end = socket.socketpair()
        env = dict(os.environ)
        env.update(
            PYTORCH_NVML_BASED_CUDA_CHECK="1",
            OPENBLAS_NUM_THREADS="1",
            KMP_INIT_AT_FORK="FALSE",
            PYTHONUNBUFFERED="1",
        )
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env.pop("PYTHONWARNINGS", None)
        with open(self.log_path, "ab") as log:
            # Spawned from the calling thread: the zygote's parent-death signal
            # fires when the thread that forked it exits.
            self.proc = subprocess.Popen(
                [
                    self.python,
                    "-m",
                    "tutor.sandbox.zygote",
                    str(zygote_end.fileno()),
                    str(os.getpid()),
                    *self.preload,
                ],
                pass_fds=[zygote_end.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
                cwd=self.workdir,
            )
        zygote_end.close()
        self._sock = ui_end
        self._thread = threading.Thread(target=self._read_loop, name="sandbox-zygote", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float | None) -> bool:
        """Wait until torch is imported in the zygote; False on timeout or death."""
        with self._cond:
            self._cond.wait_for(lambda: self.info is not None or self.dead, timeout)
            return self.info is not None and not self.dead

    def fork(self, role: str, config: dict[str, Any]) -> int:
        """Ask for a fork; return a request id for ``take``."""
        with self._cond:
            self._next_req += 1
            req = self._next_req
        self.send({"op": "fork", "req": req, "role": role, "config": config})
        return req

    def take(self, req: int, timeout: float) -> tuple[int, list[int]] | None:
        """Wait for a fork's pid and file descriptors (ctl socket, output pipe).

        A stopped zygote (SIGSTOP) never answers: it is found within a second and
        killed, so the pool replaces it instead of waiting out ``timeout``.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                left = deadline - time.monotonic()
                if self._cond.wait_for(lambda: req in self._forked or self.dead, min(left, 0.5)):
                    return self._forked.pop(req, None)
                if left <= 0:
                    return None
                if self.stopped():
                    self.lost = "stopped"
                    break
        self.kill_hard()
        return None

    @property
    def pid(self) -> int | None:
        """The zygote's pid (its parent, ``proc``, is the keeper that outlives it)."""
        info = self.info or {}
        return int(info["pid"]) if info.get("pid") else None

    def stopped(self) -> bool:
        """True when the zygote is stopped (SIGSTOP, or a debugger)."""
        pid = self.pid
        return pid is not None and _state(pid) in ("T", "t")

    def kill_hard(self) -> None:
        """SIGKILL the zygote; the keeper then kills what it leaves and exits."""
        import signal

        pid = self.pid
        if pid is not None:
            for sig in (signal.SIGKILL, signal.SIGCONT):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass

    def exit_status(self, pid: int, timeout: float) -> dict[str, Any] | None:
        """Wait for the zygote to report how ``pid`` ended: {"signal": n} or {"code": n}."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or self.dead, timeout)
            return self._exits.get(pid)

    def wait_dead(self, timeout: float) -> bool:
        """Wait until the zygote is known dead (its channel closed)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.dead, timeout)

    def child_pids(self) -> list[int]:
        """Pids of children forked and not yet reported dead."""
        with self._cond:
            return sorted(self.children)

    def has_exited(self, pid: int) -> bool:
        with self._cond:
            return pid in self._exits

    def kill(self, pid: int) -> None:
        """SIGKILL a child's whole process group (the zygote checks it is its child)."""
        self.send({"op": "kill", "pid": pid})

    def signal(self, pid: int, sig: int) -> None:
        self.send({"op": "signal", "pid": pid, "sig": int(sig)})

    def send(self, msg: dict[str, Any]) -> None:
        if self._sock is None or self.dead:
            return
        try:
            with self._send_lock:
                protocol.send_msg(self._sock, msg)
        except OSError:
            self._mark_dead()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the zygote and all its children; wait until they are gone."""
        self.send({"op": "shutdown"})
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        with self._cond:
            for _pid, fds in self._forked.values():
                protocol._close_all(fds)
            self._forked.clear()
        self._mark_dead()

    def log_tail(self, limit: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _read_loop(self) -> None:
        assert self._sock is not None
        while True:
            try:
                msg, fds = protocol.recv_msg_fds(self._sock)
            except (protocol.ProtocolError, OSError, ValueError):
                self._mark_dead()
                return
            self._dispatch(msg, fds)

    def _dispatch(self, msg: dict[str, Any], fds: list[int]) -> None:
        event = msg.get("ev")
        if event == "forked":
            with self._cond:
                self._forked[int(msg["req"])] = (int(msg["pid"]), fds)
                self.children.add(int(msg["pid"]))
                self._cond.notify_all()
            return
        protocol._close_all(fds)
        if event == "exit":
            pid = int(msg["pid"])
            with self._cond:
                self._exits[pid] = msg
                self.children.discard(pid)
                self._cond.notify_all()
            if self.on_exit:
                self.on_exit(pid)
        elif event == "ready":
            with self._cond:
                self.info = msg
                if msg.get("problems"):
                    self.dead = True
                self._cond.notify_all()
            if self.on_ready and not msg.get("problems"):
                self.on_ready()

    def _mark_dead(self) -> None:
        with self._cond:
            self.dead = True
            self._cond.notify_all()
        if self.on_exit:
            self.on_exit(-1)


def wait_gone(pids: list[int], timeout: float) -> bool:
    """Wait until none of ``pids`` exists any more (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.02)
    return not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    return _state(pid) not in ("", "Z", "X")


def _state(pid: int) -> str:
    """A process's state letter from /proc (R, S, T, Z ...), "" when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return ""
    return stat[stat.rfind(b")") + 2 :][:1].decode()
