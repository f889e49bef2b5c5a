"""The UI-side sandbox: run learner code in forked workers, never in this process.

See docs/architecture.md ("tutor.sandbox.Sandbox") for the contract. This
module imports no torch: torch lives in the zygote and its forks.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tutor.sandbox import limits as _limits
from tutor.sandbox import messages
from tutor.sandbox._channel import Exchange, WorkerHandle
from tutor.sandbox._client import ZygoteClient
from tutor.sandbox.results import ErrorInfo, ReferenceRun, RunResult, SandboxBusy, SandboxError

_FORK_WAIT = 60.0
_KEEP_SNAPSHOTS = 8  # learner snapshots kept; older ones are deleted (references are kept)
_SHM_MIN_FREE = 2 * 1024**3
_LIVE: weakref.WeakSet[Sandbox] = weakref.WeakSet()


class Sandbox:
    """Learner code runs in a forked worker; checks run in a pristine judge process."""

    def __init__(
        self,
        device: str = "auto",
        timeout: float = _limits.DEFAULT_TIMEOUT,
        memory_mb: int | None = None,
        *,
        grace: float = _limits.DEFAULT_GRACE,
        lang: str = "en",
        judge_handler: str = "tutor.judge:handle",
        snapshot_taker: str = "tutor.snapshot:take",
        max_output_lines: int = _limits.DEFAULT_MAX_LINES,
        max_output_bytes: int = _limits.DEFAULT_MAX_BYTES,
        call_timeout: float = 2.0,
        judge_timeout: float = 60.0,
        python: str = sys.executable,
    ) -> None:
        self.requested_device = device
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.lang = lang
        self.call_timeout = call_timeout
        self.judge_timeout = judge_timeout
        self.judge_handler = judge_handler
        self.snapshot_taker = snapshot_taker
        self.python = python
        self._limits = _limits.Limits(
            timeout=timeout,
            grace=grace,
            memory_mb=memory_mb or _limits.DEFAULT_MEMORY_MB,
            max_lines=max_output_lines,
            max_bytes=max_output_bytes,
        )
        self._zygote: ZygoteClient | None = None
        self._workdir: str | None = None
        self._lock = threading.Lock()  # the current worker and the replay history
        self._pool_lock = threading.Lock()  # fork request ids, held briefly
        self._judge_lock = threading.Lock()
        self._current: WorkerHandle | None = None
        self._current_req: int | None = None
        self._spare_req: int | None = None
        self._judge_req: int | None = None
        self._judge: WorkerHandle | None = None
        self._handles: dict[int, WorkerHandle] = {}
        self._history: list[tuple[str, str, int | None]] = []
        self._running: WorkerHandle | None = None
        self._device: str | None = None
        self._closed = False
        self._recent: list[str] = []  # learner snapshot dirs, oldest first

    # -- start-up -----------------------------------------------------------

    def start(self) -> None:
        """Spawn the zygote in the background; returns at once."""
        if self._zygote is not None:
            return  # running, or dead and restarted on next use (_ensure_zygote)
        if self._closed:
            raise SandboxError("the sandbox is closed")
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="torch-tutor-sandbox-", dir=_fast_tmp())
            os.makedirs(os.path.join(self._workdir, "snapshots"), mode=0o700)
        zygote = ZygoteClient(self._workdir, [self.snapshot_taker, self.judge_handler], self.python)
        zygote.on_ready = self._on_zygote_ready
        zygote.on_exit = self._on_exit
        self._zygote = zygote
        zygote.start()
        _LIVE.add(self)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until a worker can run code; False if that did not happen in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self.start()
        assert self._zygote is not None
        if not self._zygote.wait_ready(timeout):
            return False
        if not self._lock.acquire(timeout=-1 if deadline is None else _left(deadline)):
            return False
        try:
            handle = self._worker()
            return handle.wait_ready(_FORK_WAIT if deadline is None else _left(deadline))
        except SandboxError:
            return False
        finally:
            self._lock.release()

    def is_ready(self) -> bool:
        """Return True once torch is imported in the zygote (does not wait)."""
        zygote = self._zygote
        return zygote is not None and zygote.info is not None and not zygote.dead

    def _on_zygote_ready(self) -> None:
        # Called on the zygote reader thread: only send requests, never wait here.
        assert self._zygote is not None
        self._device = _resolve_device(self.requested_device, self._zygote.info or {})
        with self._pool_lock:
            if self._current is None and self._current_req is None:
                self._current_req = self._fork("worker")
            if self._spare_req is None:
                self._spare_req = self._fork("worker")
            if self._judge is None and self._judge_req is None:
                self._judge_req = self._fork("judge")

    def _on_exit(self, pid: int) -> None:
        handles = list(self._handles.values()) if pid < 0 else [self._handles.get(pid)]
        for handle in handles:
            if handle is not None:
                handle.notify_exit()

    # -- the learner's namespace ---------------------------------------------

    def new_namespace(self, setup: str, seed: int | None = None) -> RunResult:
        """Swap in the spare worker and run ``setup`` in it; the replay history restarts."""
        with self._lock:
            old, self._current = self._current, self._take_spare()
            if old is not None:
                self._retire(old)
            self._history = []
            return self._run(setup, "<setup>", None, seed, True, False)

    def run(
        self,
        code: str,
        *,
        filename: str = "<input>",
        on_output: Callable[[str], None] | None = None,
        seed: int | None = None,
        record: bool = True,
        echo: bool = False,
    ) -> RunResult:
        """Run ``code`` in the current namespace.

        Ctrl-C while this blocks interrupts the learner's code. ``echo`` shows
        the value of a final expression, as the Python prompt does. With
        ``record``, code that ran without error joins the replay history.
        """
        self.start()
        with self._lock:
            return self._run(code, filename, on_output, seed, record, echo)

    def interrupt(self) -> None:
        """Interrupt the running code (from another thread); a second call kills it."""
        handle = self._running
        if handle is not None:
            handle.interrupt()

    def _run(
        self,
        code: str,
        filename: str,
        on_output: Callable[[str], None] | None,
        seed: int | None,
        record: bool,
        echo: bool,
        retry: bool = True,
    ) -> RunResult:
        before = ""
        if self._current is not None and self._gone(self._current):
            # Killed while idle: replace it first, so this code still runs.
            before = self._recover()
        handle = self._worker()
        msg = {"op": "run", "code": code, "filename": filename, "seed": seed, "echo": echo}
        self._running = handle
        try:
            with _forward_sigint(handle):
                ex = handle.exchange(
                    msg,
                    timeout=self.timeout,
                    lang=self.lang,
                    on_output=on_output,
                    interruptible=True,
                )
        finally:
            self._running = None
        outcome, error = self._classify(ex)
        if ex.dead:
            note = self._recover()
            if _lost_with_zygote(ex) and retry and not before:
                # The zygote died under an idle worker before we noticed: the code
                # most likely never ran, so run it once in the new worker.
                again = self._run(code, filename, on_output, seed, record, echo, retry=False)
                return RunResult(
                    again.outcome,
                    again.output,
                    again.error,
                    again.duration,
                    restarted=True,
                    note=note,
                )
            return RunResult(outcome, ex.output, error, ex.duration, restarted=True, note=note)
        if outcome == "ok" and record:
            self._history.append((code, filename, seed))
        return RunResult(
            outcome, ex.output, error, ex.duration, restarted=bool(before), note=before
        )

    def _gone(self, handle: WorkerHandle) -> bool:
        zygote = self._zygote
        return handle.dead or zygote is None or zygote.dead or zygote.has_exited(handle.pid)

    # -- values and checks ----------------------------------------------------

    def snapshot(self, names: list[str]) -> str:
        """Save ``names`` from the namespace (tutor.snapshot.take); return the directory."""
        self.start()
        with self._lock:
            handle = self._worker()
            dest = self._snapshot_in(handle, names)
            if handle.dead:
                self._recover()
            if dest is None:
                raise SandboxError(self._last_snapshot_error)
            self._recent.append(dest)
            while len(self._recent) > _KEEP_SNAPSHOTS:
                shutil.rmtree(self._recent.pop(0), ignore_errors=True)
            return dest

    def reference(
        self, setup: str, solution: str, seed: int | None, names: list[str]
    ) -> ReferenceRun:
        """Run setup (seeded) then solution in a pristine worker; snapshot ``names``."""
        self.start()
        with self._lock:
            handle = self._take_spare()
        try:
            ex = handle.exchange(
                {"op": "run", "code": setup, "filename": "<setup>", "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            outcome, error = self._classify(ex)
            if outcome != "ok":
                return ReferenceRun(outcome, ex.output, error, None)
            ex = handle.exchange(
                {"op": "run", "code": solution, "filename": "<solution>", "seed": None},
                timeout=self.timeout,
                lang=self.lang,
            )
            outcome, error = self._classify(ex)
            output = ex.output
            snap = None if ex.dead else self._snapshot_in(handle, names)
            return ReferenceRun(outcome, output, error, snap)
        finally:
            self._retire(handle)

    def judge(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer ``request`` with the judge handler, in the pristine judge process."""
        self.start()
        with self._judge_lock:
            handle = self._judge_handle()
            ex = handle.exchange(
                {"op": "judge", "request": request}, timeout=self.judge_timeout, lang=self.lang
            )
            if ex.dead or ex.reply is None:
                self._retire(handle)
                self._judge = None
                raise SandboxError(f"the judge process stopped ({_status_words(ex.status)})")
            if not ex.reply.get("ok"):
                err = ex.reply.get("error") or {}
                raise SandboxError(
                    f"judge handler failed: {err.get('type')}: "
                    f"{err.get('message')}\n{err.get('traceback', '')}"
                )
            return ex.reply.get("answer")  # type: ignore[no-any-return]

    def discard(self, snapshot_dir: str) -> None:
        """Delete a snapshot directory made by this sandbox."""
        if self._workdir and os.path.abspath(snapshot_dir).startswith(self._workdir + os.sep):
            shutil.rmtree(snapshot_dir, ignore_errors=True)

    # -- helpers in the worker -------------------------------------------------

    def call(self, op: str, **kwargs: Any) -> Any:
        """Run a worker-side helper (complete, inspect, vars, env, graph).

        While learner code runs (or torch is still loading), "complete" answers
        [] at once and the other helpers raise SandboxBusy.
        """
        if not self.is_ready() or not self._lock.acquire(blocking=False):
            if op == "complete":
                return []
            raise SandboxBusy("the worker is busy running code")
        try:
            handle = self._worker()
            ex = handle.exchange(
                {"op": "call", "name": op, "kwargs": kwargs},
                timeout=self.call_timeout,
                lang=self.lang,
            )
            if ex.dead or ex.reply is None:
                self._recover()
                if op == "complete":
                    return []
                raise SandboxError(f"helper {op!r} did not answer in time")
            if not ex.reply.get("ok"):
                if op == "complete":
                    return []
                raise SandboxError((ex.reply.get("error") or {}).get("message", "helper failed"))
            return ex.reply.get("result")
        finally:
            self._lock.release()

    def device_info(self) -> dict[str, Any]:
        """Describe the device and versions; waits for the zygote."""
        if not self.wait_ready() or self._zygote is None or self._zygote.info is None:
            raise SandboxError(self._start_failure())
        info = self._zygote.info
        ready = self._current.ready if self._current is not None else None
        ready = ready or {}
        return {
            "device": ready.get("device") or self._device,
            "device_error": ready.get("device_error") or None,
            "cuda_available": bool(info.get("cuda_available")),
            "cuda": bool(info.get("cuda_available")),
            "gpu_name": info.get("gpu_name"),
            "gpu_count": info.get("gpu_count", 0),
            "mps_available": bool(info.get("mps_available")),
            "mps": bool(info.get("mps_available")),
            "torch": info.get("torch"),
            "python": info.get("python"),
        }

    @property
    def gpu_available(self) -> bool:
        """True when a CUDA GPU is present (found through NVML, CUDA untouched)."""
        return bool(self.device_info()["cuda_available"])

    @property
    def device(self) -> str | None:
        """The device the workers use ("cpu", "cuda", ...), once the zygote is ready."""
        return self._device

    @property
    def worker_pid(self) -> int | None:
        """The pid of the worker holding the learner's namespace (None before it exists)."""
        return self._current.pid if self._current is not None else None

    def pids(self) -> list[int]:
        """Return the pids of every process of this sandbox that the UI knows about."""
        zygote = self._zygote
        if zygote is None or zygote.proc is None:
            return []
        with zygote._cond:
            return [zygote.proc.pid, *sorted(zygote.children)]

    # -- shutting down ---------------------------------------------------------

    def close(self) -> None:
        """Kill every process of the sandbox and remove its files."""
        if self._closed:
            return
        self._closed = True
        zygote = self._zygote
        if zygote is not None:
            zygote.close()
        for handle in list(self._handles.values()):
            handle.close()
        self._handles.clear()
        self._current = self._judge = None
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
        _LIVE.discard(self)

    def __enter__(self) -> Sandbox:  # noqa: PYI034 - Python 3.10 has no typing.Self
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------

    def _fork(self, role: str) -> int:
        assert self._zygote is not None
        config = {
            "device": self._device or "cpu",
            "memory_mb": self.memory_mb,
            "snapshot": self.snapshot_taker,
            "handler": self.judge_handler,
        }
        return self._zygote.fork(role, config)

    def _claim(self, req: int, role: str) -> WorkerHandle:
        assert self._zygote is not None
        got = self._zygote.take(req, _FORK_WAIT)
        if got is None:
            raise SandboxError(self._start_failure())
        pid, fds = got
        handle = WorkerHandle(self._zygote, pid, fds, role, self._limits)
        self._handles[pid] = handle
        return handle

    def _ensure_zygote(self) -> None:
        """Start the zygote, or start a new one if it died; wait until it is ready."""
        self.start()
        assert self._zygote is not None
        if self._zygote.dead and self._zygote.info is not None:
            self._restart_zygote()
        if not self._zygote.wait_ready(_FORK_WAIT):
            raise SandboxError(self._start_failure())

    def _restart_zygote(self) -> None:
        old = self._zygote
        if old is not None:
            old.close()
        for handle in list(self._handles.values()):
            handle.close()
        self._handles.clear()
        with self._pool_lock:
            self._current = self._judge = None
            self._current_req = self._spare_req = self._judge_req = None
        self._zygote = None
        self.start()

    def _worker(self) -> WorkerHandle:
        """Return the current worker (call with self._lock held)."""
        if self._current is not None and not self._gone(self._current):
            return self._current
        if self._current is not None:
            self._recover()
            assert self._current is not None
            return self._current
        self._ensure_zygote()
        with self._pool_lock:
            req, self._current_req = self._current_req, None
        if self._current is not None:
            self._retire(self._current)
            self._current = None
        self._current = self._claim(req, "worker") if req is not None else self._take_spare()
        return self._current

    def _take_spare(self) -> WorkerHandle:
        """Take the worker forked ahead and fork the next spare."""
        self._ensure_zygote()
        with self._pool_lock:
            req, self._spare_req = self._spare_req, None
        if req is None:
            req = self._fork("worker")
        try:
            handle = self._claim(req, "worker")
        except SandboxError:
            self._restart_zygote()
            self._ensure_zygote()
            handle = self._claim(self._fork("worker"), "worker")
        with self._pool_lock:
            if self._spare_req is None:
                self._spare_req = self._fork("worker")
        return handle

    def _judge_handle(self) -> WorkerHandle:
        if self._judge is not None and not self._judge.dead:
            return self._judge
        with self._lock:
            self._ensure_zygote()
        with self._pool_lock:
            req, self._judge_req = self._judge_req, None
        self._judge = self._claim(req if req is not None else self._fork("judge"), "judge")
        return self._judge

    def _retire(self, handle: WorkerHandle) -> None:
        handle.close()
        self._handles.pop(handle.pid, None)

    def _recover(self) -> str:
        """Replace the dead current worker with the spare and replay the history."""
        if self._current is not None:
            self._retire(self._current)
        self._current = self._take_spare()
        for index, (code, filename, seed) in enumerate(self._history):
            ex = self._current.exchange(
                {"op": "run", "code": code, "filename": filename, "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            outcome, _ = self._classify(ex)
            if outcome != "ok":
                del self._history[index:]
                if ex.dead:
                    self._retire(self._current)
                    self._current = self._take_spare()
                return messages.text("replay_failed", self.lang, outcome=outcome)
        return messages.text("restarted", self.lang)

    _last_snapshot_error = ""

    def _snapshot_in(self, handle: WorkerHandle, names: list[str]) -> str | None:
        assert self._workdir is not None
        dest = tempfile.mkdtemp(dir=os.path.join(self._workdir, "snapshots"))
        ex = handle.exchange(
            {"op": "snapshot", "names": list(names), "dest": dest},
            timeout=self.timeout,
            lang=self.lang,
        )
        if ex.reply is not None and ex.reply.get("ok"):
            return dest
        shutil.rmtree(dest, ignore_errors=True)
        err = (ex.reply or {}).get("error") or {}
        self._last_snapshot_error = (
            f"snapshot failed: {err.get('type')}: {err.get('message')}"
            if err
            else f"snapshot failed: the worker stopped ({_status_words(ex.status)})"
        )
        return None

    def _classify(self, ex: Exchange) -> tuple[str, ErrorInfo | None]:
        """Turn an exchange into an outcome and a learner-facing ErrorInfo."""
        lang = self.lang
        if ex.dead:
            return self._death(ex)
        reply = ex.reply or {}
        outcome = str(reply.get("outcome", "error"))
        error = ErrorInfo.from_json(reply.get("error"))
        trace = error.traceback if error else ""
        if outcome == "interrupted" and ex.stopped == "timeout":
            return "timeout", ErrorInfo(
                "TimeoutError", messages.text("timeout", lang, seconds=self.timeout), trace
            )
        if outcome == "interrupted":
            return outcome, ErrorInfo(
                "KeyboardInterrupt", messages.text("interrupted", lang), trace
            )
        if outcome == "memory":
            return outcome, ErrorInfo(
                error.type if error else "MemoryError", self._memory_message(reply), trace
            )
        if outcome == "exited":
            code = reply.get("exit_code", 0)
            return outcome, ErrorInfo("SystemExit", messages.text("exited", lang, code=code), "")
        return outcome, error

    def _death(self, ex: Exchange) -> tuple[str, ErrorInfo]:
        lang = self.lang
        if ex.killed and ex.stopped == "timeout":
            return "timeout", ErrorInfo(
                "TimeoutError", messages.text("timeout", lang, seconds=self.timeout)
            )
        if ex.killed:
            return "interrupted", ErrorInfo("KeyboardInterrupt", messages.text("interrupted", lang))
        status = ex.status or {}
        if "signal" in status:
            sig = int(status["signal"])
            cause = messages.signal_name(sig, lang)
            if sig in messages.CRASH_SIGNALS:
                return "crashed", ErrorInfo(
                    "WorkerCrashed", messages.text("crashed", lang, cause=cause)
                )
            return "killed", ErrorInfo("WorkerKilled", messages.text("killed", lang, cause=cause))
        if "code" in status:
            return "exited", ErrorInfo(
                "SystemExit", messages.text("exited", lang, code=status["code"])
            )
        return "killed", ErrorInfo("WorkerLost", messages.text("lost", lang))

    def _memory_message(self, reply: dict[str, Any]) -> str:
        requested = reply.get("requested")
        detail = (
            messages.text("memory_detail", self.lang, size=messages.size_words(requested))
            if requested
            else ""
        )
        if str(reply.get("device", "cpu")).startswith("cuda") and reply.get("memory_cap"):
            limit = messages.size_words(int(reply["memory_cap"]))
        else:
            limit = f"{self._limits.memory_mb} MB"
        return messages.text("memory", self.lang, limit=limit, detail=detail)

    def _start_failure(self) -> str:
        zygote = self._zygote
        if zygote is None:
            return "the sandbox was not started"
        problems = (zygote.info or {}).get("problems")
        if problems:
            return "the sandbox refused to start: " + "; ".join(problems)
        return "the sandbox process could not start:\n" + zygote.log_tail()


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


def _lost_with_zygote(ex: Exchange) -> bool:
    return ex.dead and not ex.killed and ex.status is None and not ex.output


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _status_words(status: dict[str, Any] | None) -> str:
    if not status:
        return "no exit status"
    if "signal" in status:
        return messages.signal_name(int(status["signal"]))
    return f"exit code {status.get('code')}"


@contextmanager
def _forward_sigint(handle: WorkerHandle) -> Iterator[None]:
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


@atexit.register
def _close_all() -> None:
    for sandbox in list(_LIVE):
        sandbox.close()
