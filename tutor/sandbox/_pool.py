"""The processes behind a Sandbox: the zygote, spare workers forked ahead, the judge.

The pool hands out WorkerHandles; it restarts the zygote if it died. The
Sandbox decides what each handle is for (the learner's namespace, a reference
run, the judge). Handing out spares is safe from several threads at once (batch
grading runs many fresh workers side by side). No torch here.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from typing import Any

from tutor.sandbox._channel import WorkerHandle
from tutor.sandbox._client import ZygoteClient
from tutor.sandbox.limits import Limits
from tutor.sandbox.results import SandboxError

FORK_WAIT = 60.0
# Workers forked ahead: a reset swaps one in, and an answer judged again from its set-up
# (then on a variant) takes two in a row without waiting for a fork.
SPARES = 2
_SHM_MIN_FREE = 2 * 1024**3


class Pool:
    """One zygote and the forks it made for one Sandbox."""

    def __init__(
        self,
        requested_device: str,
        limits: Limits,
        config: dict[str, Any],
        preload: list[str],
        python: str = sys.executable,
    ) -> None:
        self.requested_device = requested_device
        self.limits = limits
        self.config = config  # memory_mb, snapshot taker, judge handler
        self.preload = preload
        self.python = python
        self.zygote: ZygoteClient | None = None
        self.workdir: str | None = None
        self.device: str | None = None
        self.closed = False
        self._lock = threading.Lock()  # request ids; held briefly, never while waiting
        # Starting or replacing the zygote: one thread does it, the others then see it done.
        self._zygote_lock = threading.RLock()
        self._first_req: int | None = None
        # Workers forked ahead, oldest first, each with the zygote that forks it.
        self._spares: list[tuple[ZygoteClient, int]] = []
        self.spares = SPARES  # how many to keep forked ahead (``reserve``)
        self.generation = 0  # zygotes started so far: a change means the last one was lost
        self._judge_req: int | None = None
        self._handles: dict[int, WorkerHandle] = {}
        self._orphans: list[WorkerHandle] = []  # a lost zygote's, until their users retire them
        self.lost = ""
        self._evaluator_req: int | None = None

    # -- the zygote -----------------------------------------------------------

    def start(self) -> None:
        """Spawn the zygote (once); returns at once."""
        if self.zygote is not None:
            return
        with self._zygote_lock:
            if self.zygote is not None:
                return
            if self.closed:
                raise SandboxError("the sandbox is closed")
            if self.workdir is None:
                self.workdir = tempfile.mkdtemp(prefix="torch-tutor-sandbox-", dir=_fast_tmp())
                os.makedirs(os.path.join(self.workdir, "snapshots"), mode=0o700)
            zygote = ZygoteClient(self.workdir, self.preload, self.python)
            zygote.on_ready = self._on_ready
            zygote.on_exit = self._on_exit
            self.generation += 1
            self.zygote = zygote
            zygote.start()

    def ensure(self) -> ZygoteClient:
        """Return a ready zygote, starting a new one if the last one died or was stopped."""
        self.start()
        zygote = self.zygote
        assert zygote is not None
        self.check_zygote()
        if zygote.dead and zygote.info is not None:
            self.restart(zygote)
        zygote = self.zygote
        assert zygote is not None
        if not zygote.wait_ready(FORK_WAIT):
            raise SandboxError(self.start_failure())
        return zygote

    def check_zygote(self) -> None:
        """Kill a stopped zygote (its workers die with it); the next fork starts a new one.

        A stopped zygote would never forward a Ctrl-C or a kill, so no time limit
        could be enforced; ``lost`` says what happened for the learner's message.
        """
        zygote = self.zygote
        if zygote is not None and not zygote.dead and zygote.stopped():
            zygote.lost = "stopped"
            zygote.kill_hard()
            zygote.wait_dead(5.0)

    def take_lost(self) -> str:
        """How the last zygote was lost ("stopped", "killed"), once; "" when it was not."""
        lost, self.lost = self.lost, ""
        return lost

    def restart(self, dead: ZygoteClient | None = None) -> None:
        """Replace a dead zygote; every handle of the old one is marked dead.

        ``dead``: the zygote the caller found dead; when another thread has replaced
        it meanwhile, nothing more is done.
        """
        with self._zygote_lock:
            if dead is not None and self.zygote is not dead:
                return
            if self.zygote is not None:
                self.lost = self.zygote.lost or "killed"
                self.zygote.close()
            for handle in list(self._handles.values()):
                # Another thread may be in an exchange with it: it sees the handle dead and
                # retires it itself. Closing its files here would free their numbers for the
                # new zygote's forks while that thread still reads them.
                handle.dead = True
                handle.notify_exit()
                self._orphans.append(handle)
            self._handles.clear()
            with self._lock:
                self._first_req = self._judge_req = None
                self._spares = []
            self.zygote = None
            self.start()

    def is_ready(self) -> bool:
        zygote = self.zygote
        return zygote is not None and zygote.info is not None and not zygote.dead

    def _on_ready(self) -> None:
        # On the zygote reader thread: only send requests, never wait here.
        assert self.zygote is not None
        self.device = _resolve_device(self.requested_device, self.zygote.info or {})
        with self._lock:
            if self._first_req is None:
                self._first_req = self._fork("worker")
            self._top_up()
            if self._judge_req is None:
                self._judge_req = self._fork("judge")

    def _on_exit(self, pid: int) -> None:
        handles = list(self._handles.values()) if pid < 0 else [self._handles.get(pid)]
        for handle in handles:
            if handle is not None:
                handle.notify_exit()

    # -- handing out processes --------------------------------------------------

    def first_worker(self) -> WorkerHandle:
        """The worker forked when the zygote became ready (or a spare)."""
        self.ensure()
        with self._lock:
            req, self._first_req = self._first_req, None
        return self._claim(req, "worker") if req is not None else self.take_spare()

    def reserve(self, count: int) -> None:
        """Keep ``count`` workers forked ahead (at least ``SPARES``), so that many fresh
        workers can be taken at once without waiting for a fork."""
        self.spares = max(SPARES, count)
        if self.is_ready():
            with self._lock:
                self._top_up()

    def take_spare(self) -> WorkerHandle:
        """Take the oldest worker forked ahead and fork the next spare (any thread)."""
        for attempt in (1, 2):
            zygote = self.ensure()
            with self._lock:
                ahead = [(z, r) for z, r in self._spares if z is zygote]
                req = ahead[0][1] if ahead else None
                self._spares = ahead[1:]
                if req is None:
                    req = zygote.fork("worker", self._fork_config())
                self._top_up()
            try:
                return self._claim(req, "worker", zygote)
            except SandboxError:
                if attempt == 2:
                    raise
                self.restart(zygote)
        raise AssertionError("unreachable")

    def _top_up(self) -> None:
        """Fork spares until ``spares`` are ahead (call with ``_lock`` held)."""
        zygote = self.zygote
        if zygote is None or zygote.dead:
            return
        self._spares = [(z, r) for z, r in self._spares if z is zygote]
        while len(self._spares) < self.spares:
            self._spares.append((zygote, zygote.fork("worker", self._fork_config())))

    def judge(self) -> WorkerHandle:
        """A fresh judge process (the one forked at start-up, if still unclaimed)."""
        self.ensure()
        with self._lock:
            req, self._judge_req = self._judge_req, None
        return self._claim(req if req is not None else self._fork("judge"), "judge")

    def evaluator(self) -> WorkerHandle:
        """A fresh evaluator process (confined; runs lesson predicates)."""
        self.ensure()
        return self._claim(self._fork("evaluator"), "evaluator")

    def retire(self, handle: WorkerHandle) -> None:
        """Kill a process and forget it."""
        handle.close()
        if self._handles.get(handle.pid) is handle:
            del self._handles[handle.pid]
        if handle in self._orphans:
            self._orphans.remove(handle)

    def gone(self, handle: WorkerHandle) -> bool:
        """True when ``handle``'s process is dead or belongs to a dead (or stopped) zygote."""
        self.check_zygote()
        zygote = handle.zygote
        return (
            handle.dead or zygote is not self.zygote or zygote.dead or zygote.has_exited(handle.pid)
        )

    def _fork_config(self) -> dict[str, Any]:
        return dict(self.config, device=self.device or "cpu")

    def _fork(self, role: str) -> int:
        assert self.zygote is not None
        return self.zygote.fork(role, self._fork_config())

    def _claim(self, req: int, role: str, zygote: ZygoteClient | None = None) -> WorkerHandle:
        zygote = zygote or self.zygote
        assert zygote is not None
        got = zygote.take(req, FORK_WAIT)
        if got is None:
            raise SandboxError(self.start_failure())
        pid, fds = got
        handle = WorkerHandle(zygote, pid, fds, role, self.limits)
        self._handles[pid] = handle
        return handle

    # -- facts and shutting down ---------------------------------------------------

    def pids(self) -> list[int]:
        """The zygote's pid and those of its live children."""
        zygote = self.zygote
        if zygote is None or zygote.proc is None:
            return []
        keeper = zygote.proc.pid
        return [zygote.pid or keeper, *zygote.child_pids(), keeper]

    def start_failure(self) -> str:
        zygote = self.zygote
        if zygote is None:
            return "the sandbox was not started"
        problems = (zygote.info or {}).get("problems")
        if problems:
            return "the sandbox refused to start: " + "; ".join(problems)
        return "the sandbox process could not start:\n" + zygote.log_tail()

    def close(self) -> None:
        """Stop the zygote (it kills every child) and remove the working directory."""
        self.closed = True
        if self.zygote is not None:
            self.zygote.close()
        for handle in [*self._handles.values(), *self._orphans]:
            handle.close()
        self._handles.clear()
        self._orphans.clear()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _resolve_device(requested: str, info: dict[str, Any]) -> str:
    if requested != "auto":
        return requested
    if info.get("cuda_available"):
        return "cuda"
    if info.get("mps_available"):
        return "mps"
    return "cpu"


def _fast_tmp() -> str | None:
    """Use /dev/shm for snapshots when it has room: tensors cross as files."""
    try:
        stat = os.statvfs("/dev/shm")
    except OSError:
        return None
    if stat.f_bavail * stat.f_frsize >= _SHM_MIN_FREE and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return None
