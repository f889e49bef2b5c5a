"""The UI-side sandbox: run learner code in forked workers, never in this process.

See docs/architecture.md ("tutor.sandbox.Sandbox") for the contract. This
module imports no torch: torch lives in the zygote and its forks.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tutor.sandbox import _script, messages, outcomes
from tutor.sandbox import confine as _confine
from tutor.sandbox import limits as _limits
from tutor.sandbox._channel import Exchange, WorkerHandle, forward_sigint
from tutor.sandbox._checking import Checking, lost_with_zygote
from tutor.sandbox._pool import FORK_WAIT, Pool
from tutor.sandbox.results import ErrorInfo, RunResult, SandboxBusy, SandboxError

_LIVE: weakref.WeakSet[Sandbox] = weakref.WeakSet()


class Sandbox(Checking):
    """Learner code runs in a forked worker; checks run in a pristine judge process (the
    checking half: tutor.sandbox._checking)."""

    def __init__(
        self,
        device: str = "auto",
        timeout: float = _limits.DEFAULT_TIMEOUT,
        memory_mb: int | None = None,
        *,
        grace: float = _limits.DEFAULT_GRACE,
        lang: str = "en",
        judge_handler: str = "tutor.judge.handler:handle",
        snapshot_taker: str = "tutor.judge.snapshot:take",
        max_output_lines: int = _limits.DEFAULT_MAX_LINES,
        max_output_bytes: int = _limits.DEFAULT_MAX_BYTES,
        call_timeout: float = 2.0,
        judge_timeout: float = 60.0,
        python: str = sys.executable,
        private: Sequence[str | os.PathLike[str]] = (),
        read: Sequence[str | os.PathLike[str]] = (),
        write: Sequence[str | os.PathLike[str]] = (),
        disk_mb: int = _confine.DEFAULT_DISK_MB,
        file_mb: int = _confine.DEFAULT_FILE_MB,
        processes: int = _confine.DEFAULT_PROCESSES,
    ) -> None:
        """``private``: paths no sandbox process may read (lesson folders, the progress
        store), beyond the built-in lessons and the sandbox's own files, which are always
        hidden. ``read``/``write``: paths workers may also read, or read and write (``run
        FILE`` grants its script's folder). ``disk_mb``: what a worker's folder may hold;
        ``file_mb``: the largest file learner code may write; ``processes``: learner
        processes per worker."""
        self._timeout = timeout
        self._here = threading.local()  # a step's own limit, for the thread running that step
        self.timeout_fixed = False  # --timeout given: a step's time_limit does not replace it
        self.lang = lang
        self.call_timeout = call_timeout
        self.judge_timeout = judge_timeout
        self._limits = _limits.Limits(
            timeout=timeout,
            grace=grace,
            memory_mb=memory_mb or _limits.DEFAULT_MEMORY_MB,
            max_lines=max_output_lines,
            max_bytes=max_output_bytes,
        )
        config = {
            "memory_mb": memory_mb,
            "snapshot": snapshot_taker,
            "handler": judge_handler,
            "private": [os.fspath(p) for p in private],
            "read": [os.fspath(p) for p in read],
            "write": [os.fspath(p) for p in write],
            "disk_mb": disk_mb,
            "file_mb": file_mb,
            "processes": processes,
        }
        self.disk_mb = disk_mb
        self.processes = processes
        self._pool = Pool(device, self._limits, config, [snapshot_taker, judge_handler], python)
        self._lock = threading.Lock()  # the current worker and the replay history
        self._current: WorkerHandle | None = None
        self._history: list[tuple[str, str, int | None]] = []
        # For /undo: the history's length before each recorded run, the last run's last.
        self._marks: list[int] = []
        self._running: WorkerHandle | None = None
        self._init_checking()
        self._untold = ""  # a recovery note no run has carried to the learner yet

    # -- start-up -----------------------------------------------------------

    def start(self) -> None:
        """Spawn the zygote in the background; returns at once."""
        self._pool.start()
        _LIVE.add(self)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until a worker can run code; False if that did not happen in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self.start()
        self._pool.check_zygote()
        assert self._pool.zygote is not None
        if self._pool.zygote.dead and self._pool.zygote.info is not None:
            # It was killed or stopped: a new one, said in the next note.
            self._pool.restart(self._pool.zygote)
        assert self._pool.zygote is not None
        if not self._pool.zygote.wait_ready(timeout):
            return False
        if not self._lock.acquire(timeout=-1 if deadline is None else _left(deadline)):
            return False
        try:
            handle = self._worker()
            return handle.wait_ready(FORK_WAIT if deadline is None else _left(deadline))
        except SandboxError:
            return False
        finally:
            self._lock.release()

    def is_ready(self) -> bool:
        """Return True once torch is imported in the zygote (does not wait)."""
        return self._pool.is_ready()

    def start_failure(self) -> str:
        """Why the sandbox could not start, in words (the zygote's log when it crashed)."""
        try:
            return self._pool.start_failure()
        except Exception:  # noqa: BLE001 - the reason itself could not be read
            return "PyTorch did not start in time"

    # -- the learner's namespace ---------------------------------------------

    def new_namespace(self, setup: str, seed: int | None = None) -> RunResult:
        """Swap in the spare worker and run ``setup`` in it; the replay history restarts."""
        self.start()
        with self._lock:
            old, self._current = self._current, self._pool.take_spare()
            if old is not None:
                self._pool.retire(old)
            self._history = []
            result = self._run(setup, "<setup>", None, seed, True, False)
            self._marks = []  # the set-up itself cannot be undone
            return result

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
            if record:
                self._marks.append(len(self._history))
            return self._run(code, filename, on_output, seed, record, echo)

    def undo(self) -> tuple[RunResult, bool] | None:
        """Put the namespace back as it was before the last recorded run; None if there is none.

        A fresh worker replays the history up to that run (each input with its seed, its
        output dropped), so an input that failed half-way is undone too; the worker that ran it
        is retired. Returns the replay's result (its ``note`` says where a replay failed) and
        whether the undone run had joined the history (it ran without error); a replay that
        fails stops there, keeping what ran before it. What the code did
        outside the namespace (a file it wrote) stays done.
        """
        self.start()
        with self._lock:
            if not self._marks:
                return None
            keep = self._marks.pop()
            ran_clean = len(self._history) > keep
            del self._history[keep:]
            if self._current is not None:
                self._pool.retire(self._current)
            self._current = self._pool.take_spare()
            started = time.monotonic()
            failed = self._replay()
            if failed is not None:
                outcome, error = failed
                return RunResult(outcome, "", error, time.monotonic() - started), ran_clean
            return RunResult("ok", "", None, time.monotonic() - started), ran_clean

    def run_script(
        self,
        path: str,
        argv: list[str],
        *,
        stdin: int,
        on_output: Callable[[str], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> RunResult:
        """Run the file at ``path`` as ``python FILE`` does, in a fresh worker of its own.

        ``argv`` becomes ``sys.argv``; the script's folder is its working directory and
        leads ``sys.path``; it reads the file descriptor ``stdin``; its stdout and stderr
        stream to ``on_output`` and ``on_error`` apart (the worker prints an uncaught
        exception there, as Python does). ``exit_code`` is the status ``python FILE``
        would end with (None when the time limit stopped it). Ctrl-C interrupts it.
        """
        self.start()
        with self._lock:
            handle = self._pool.take_spare()
        self._running = handle
        try:
            ex = _script.exchange(
                handle,
                path,
                argv,
                stdin,
                self._limits,
                self.timeout,
                self.lang,
                on_output,
                on_error,
            )
        finally:
            self._running = None
            self._pool.retire(handle)
        outcome, error = self._classify(ex)
        code = _script.exit_code(ex, outcome)
        return RunResult(outcome, ex.output, error, ex.duration, exit_code=code, errors=ex.errors)

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
        before, self._untold = self._untold, ""
        if self._current is not None and self._pool.gone(self._current):
            # Killed while idle: replace it first, so this code still runs.
            before = self._recover()
        handle = self._worker()
        msg = {"op": "run", "code": code, "filename": filename, "seed": seed, "echo": echo}
        self._running = handle
        try:
            with forward_sigint(handle):
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
            if lost_with_zygote(ex) and retry and not before:
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

    def _worker(self) -> WorkerHandle:
        """Return the current worker, replacing a dead one (call with self._lock held)."""
        if self._current is None:
            self._current = self._pool.first_worker()
        elif self._pool.gone(self._current):
            # Told with the next run's result, so the learner hears what happened.
            self._untold = self._recover()
        assert self._current is not None
        return self._current

    def _recover(self) -> str:
        """Replace the dead current worker with the spare and replay the history."""
        if self._current is not None:
            self._pool.retire(self._current)
        self._current = self._pool.take_spare()
        lost = self._pool.take_lost()
        told = messages.text(f"zygote_{lost}", self.lang) + " " if lost else ""
        failed = self._replay()
        if failed is not None:
            return told + messages.text("replay_failed", self.lang, outcome=failed[0])
        return told + messages.text("restarted", self.lang)

    def _replay(self) -> tuple[str, ErrorInfo | None] | None:
        """Run the history again in the current (fresh) worker, each input with its seed; at
        the first that does not run cleanly, stop, drop it and what follows from the history
        (the namespace holds what ran before it) and return its outcome and error."""
        assert self._current is not None
        for index, (code, filename, seed) in enumerate(self._history):
            ex = self._current.exchange(
                {"op": "run", "code": code, "filename": filename, "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            outcome, error = self._classify(ex)
            if outcome != "ok":
                del self._history[index:]
                self._marks = [m for m in self._marks if m <= index]
                if ex.dead:
                    self._pool.retire(self._current)
                    self._current = self._pool.take_spare()
                return outcome, error
        return None

    def _classify(self, ex: Exchange) -> tuple[str, ErrorInfo | None]:
        caps = {"disk_mb": self.disk_mb, "processes": self.processes}
        return outcomes.classify(ex, self.lang, self.timeout, self._limits.memory_mb, caps)

    # -- the time limit ---------------------------------------------------------

    @property
    def timeout(self) -> float:
        """The limit of each run started from this thread: a step's (``limited``), else the
        sandbox's."""
        here: float | None = getattr(self._here, "timeout", None)
        return here if here is not None else self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout = seconds

    @contextlib.contextmanager
    def limited(self, seconds: float | None) -> Iterator[None]:
        """Runs started from this thread inside take ``seconds`` as their limit (a training
        step's ``time_limit``); other threads (a reference computed ahead) keep theirs."""
        before = getattr(self._here, "timeout", None)
        self._here.timeout = seconds
        try:
            yield
        finally:
            self._here.timeout = before

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
        if not self.wait_ready():
            raise SandboxError(self._pool.start_failure())
        info = self.zygote_info()
        ready = (self._current.ready if self._current is not None else None) or {}
        return {
            "device": ready.get("device") or self._pool.device,
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

    def protections(self) -> list[dict[str, Any]]:
        """Each protection of the learner's worker: {"key", "on", "detail"} (see
        ``messages.PROTECTIONS`` for the order and names); waits for the worker."""
        if not self.wait_ready():
            raise SandboxError(self._pool.start_failure())
        ready = (self._current.ready if self._current is not None else None) or {}
        found = dict(ready.get("protections") or {})
        cap = int(ready.get("memory_cap") or 0)
        found["memory"] = (
            {"on": True, "detail": messages.size_words(cap)}
            if cap
            else {"on": False, "detail": "RLIMIT_AS could not be set"}
        )
        watched = found.get("files", {}).get("on")
        found["disk"] = {
            "on": True,
            "detail": f"{self.disk_mb} MiB"
            + ("" if watched else " (without Landlock, other folders are not watched)"),
        }
        for key in ("snapshot", "references", "predicates"):
            found[key] = {"on": True, "detail": ""}
        rows = []
        for key in messages.PROTECTIONS:
            item = found.get(key) or {"on": False, "detail": "unknown"}
            rows.append({"key": key, "on": bool(item.get("on")), "detail": str(item["detail"])})
        return rows

    def zygote_info(self) -> dict[str, Any]:
        """The zygote's start-up report: versions, GPUs, import time, problems, warnings."""
        self.start()
        zygote = self._pool.zygote
        if zygote is None or not zygote.wait_ready(FORK_WAIT) or zygote.info is None:
            raise SandboxError(self._pool.start_failure())
        return dict(zygote.info)

    @property
    def gpu_available(self) -> bool:
        """True when a CUDA GPU is present (found through NVML, CUDA untouched)."""
        return bool(self.device_info()["cuda_available"])

    @property
    def requested_device(self) -> str:
        """The device asked for (``--device``): "auto", "cpu", "cuda", "cuda:1", "mps"."""
        return self._pool.requested_device

    @property
    def device(self) -> str | None:
        """The device the workers use ("cpu", "cuda", ...), once the zygote is ready."""
        return self._pool.device

    @property
    def worker_pid(self) -> int | None:
        """The pid of the worker holding the learner's namespace (None before it exists)."""
        return self._current.pid if self._current is not None else None

    def pids(self) -> list[int]:
        """Return the pids of every process of this sandbox (zygote first)."""
        return self._pool.pids()

    # -- shutting down ---------------------------------------------------------

    def close(self) -> None:
        """Kill every process of the sandbox and remove its files."""
        if self._pool.closed:
            return
        for token in list(self._held):
            self.discard(token)
        self._pool.close()
        self._current = self._judge = None
        _LIVE.discard(self)

    def __enter__(self) -> Sandbox:  # noqa: PYI034 - Python 3.10 has no typing.Self
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


@atexit.register
def _close_all() -> None:
    for sandbox in list(_LIVE):
        sandbox.close()
