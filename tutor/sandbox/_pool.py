"""The processes behind a Sandbox: the zygote, spare workers forked ahead, the judge.

The pool hands out WorkerHandles; it restarts the zygote if it died. The
Sandbox decides what each handle is for (the learner's namespace, a reference
run, the judge). No torch here.
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
        self._first_req: int | None = None
        self._spare_reqs: list[int] = []
        self._judge_req: int | None = None
        self._handles: dict[int, WorkerHandle] = {}
        self.lost = ""
        self._evaluator_req: int | None = None

    # -- the zygote -----------------------------------------------------------

    def start(self) -> None:
        """Spawn the zygote (once); returns at once."""
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
        self.zygote = zygote
        zygote.start()

    def ensure(self) -> ZygoteClient:
        """Return a ready zygote, starting a new one if the last one died or was stopped."""
        self.start()
        assert self.zygote is not None
        self.check_zygote()
        if self.zygote.dead and self.zygote.info is not None:
            self.restart()
        assert self.zygote is not None
        if not self.zygote.wait_ready(FORK_WAIT):
            raise SandboxError(self.start_failure())
        return self.zygote

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

    def restart(self) -> None:
        """Replace a dead zygote; every handle of the old one is closed."""
        if self.zygote is not None:
            self.lost = self.zygote.lost or "killed"
            self.zygote.close()
        for handle in list(self._handles.values()):
            handle.close()
        self._handles.clear()
        with self._lock:
            self._first_req = self._judge_req = None
            self._spare_reqs = []
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
            while len(self._spare_reqs) < SPARES:
                self._spare_reqs.append(self._fork("worker"))
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

    def take_spare(self) -> WorkerHandle:
        """Take a worker forked ahead (the oldest) and fork the next spare."""
        self.ensure()
        with self._lock:
            req = self._spare_reqs.pop(0) if self._spare_reqs else None
        try:
            handle = self._claim(req if req is not None else self._fork("worker"), "worker")
        except SandboxError:
            self.restart()
            self.ensure()
            handle = self._claim(self._fork("worker"), "worker")
        with self._lock:
            while len(self._spare_reqs) < SPARES:
                self._spare_reqs.append(self._fork("worker"))
        return handle

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
        self._handles.pop(handle.pid, None)

    def gone(self, handle: WorkerHandle) -> bool:
        """True when ``handle``'s process is dead or belongs to a dead (or stopped) zygote."""
        self.check_zygote()
        zygote = handle.zygote
        return (
            handle.dead or zygote is not self.zygote or zygote.dead or zygote.has_exited(handle.pid)
        )

    def _fork(self, role: str) -> int:
        assert self.zygote is not None
        config = dict(self.config, device=self.device or "cpu")
        return self.zygote.fork(role, config)

    def _claim(self, req: int, role: str) -> WorkerHandle:
        assert self.zygote is not None
        got = self.zygote.take(req, FORK_WAIT)
        if got is None:
            raise SandboxError(self.start_failure())
        pid, fds = got
        handle = WorkerHandle(self.zygote, pid, fds, role, self.limits)
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
        for handle in list(self._handles.values()):
            handle.close()
        self._handles.clear()
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
