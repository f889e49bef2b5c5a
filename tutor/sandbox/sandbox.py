"""The UI-side sandbox: run learner code in forked workers, never in this process.

See docs/architecture.md ("tutor.sandbox.Sandbox") for the contract. This
module imports no torch: torch lives in the zygote and its forks.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from tutor.sandbox import limits as _limits
from tutor.sandbox import messages, outcomes
from tutor.sandbox._channel import Exchange, WorkerHandle, forward_sigint
from tutor.sandbox._pool import FORK_WAIT, Pool
from tutor.sandbox.results import ErrorInfo, ReferenceRun, RunResult, SandboxBusy, SandboxError

_KEEP_SNAPSHOTS = 8  # learner snapshots kept; older ones are deleted (references are kept)
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
        judge_handler: str = "tutor.judge.handler:handle",
        snapshot_taker: str = "tutor.judge.snapshot:take",
        max_output_lines: int = _limits.DEFAULT_MAX_LINES,
        max_output_bytes: int = _limits.DEFAULT_MAX_BYTES,
        call_timeout: float = 2.0,
        judge_timeout: float = 60.0,
        python: str = sys.executable,
    ) -> None:
        self.timeout = timeout
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
        config = {"memory_mb": memory_mb, "snapshot": snapshot_taker, "handler": judge_handler}
        self._pool = Pool(device, self._limits, config, [snapshot_taker, judge_handler], python)
        self._lock = threading.Lock()  # the current worker and the replay history
        self._judge_lock = threading.Lock()
        self._current: WorkerHandle | None = None
        self._judge: WorkerHandle | None = None
        self._history: list[tuple[str, str, int | None]] = []
        self._running: WorkerHandle | None = None
        self._recent: list[str] = []  # learner snapshot dirs, oldest first
        self._last_snapshot_error = ""

    # -- start-up -----------------------------------------------------------

    def start(self) -> None:
        """Spawn the zygote in the background; returns at once."""
        self._pool.start()
        _LIVE.add(self)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until a worker can run code; False if that did not happen in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self.start()
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

    # -- the learner's namespace ---------------------------------------------

    def new_namespace(self, setup: str, seed: int | None = None) -> RunResult:
        """Swap in the spare worker and run ``setup`` in it; the replay history restarts."""
        self.start()
        with self._lock:
            old, self._current = self._current, self._pool.take_spare()
            if old is not None:
                self._pool.retire(old)
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

    def _worker(self) -> WorkerHandle:
        """Return the current worker, replacing a dead one (call with self._lock held)."""
        if self._current is None:
            self._current = self._pool.first_worker()
        elif self._pool.gone(self._current):
            self._recover()
        assert self._current is not None
        return self._current

    def _recover(self) -> str:
        """Replace the dead current worker with the spare and replay the history."""
        if self._current is not None:
            self._pool.retire(self._current)
        self._current = self._pool.take_spare()
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
                    self._pool.retire(self._current)
                    self._current = self._pool.take_spare()
                return messages.text("replay_failed", self.lang, outcome=outcome)
        return messages.text("restarted", self.lang)

    def _classify(self, ex: Exchange) -> tuple[str, ErrorInfo | None]:
        return outcomes.classify(ex, self.lang, self.timeout, self._limits.memory_mb)

    # -- values and checks ----------------------------------------------------

    def snapshot(self, names: list[str]) -> str:
        """Save ``names`` from the namespace (tutor.judge.snapshot.take); return the directory."""
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
        """Run setup then solution, each seeded, in a pristine worker; snapshot ``names``."""
        return self.run_fresh(setup, [solution], seed, names, filename="<solution>")

    def run_fresh(
        self,
        setup: str,
        pieces: list[str],
        seed: int | None,
        names: list[str],
        *,
        filename: str = "<answer>",
        echo: bool = False,
    ) -> ReferenceRun:
        """Run ``setup``, then each of ``pieces`` (each seeded, as the prompt runs inputs), in a
        pristine worker of its own, and snapshot ``names``; the learner's namespace is untouched.

        The run stops at the first piece that fails; its outcome and output are the result's
        (a multi-input answer is judged on its last input's output, as at the prompt).
        """
        self.start()
        with self._lock:
            handle = self._pool.take_spare()
        try:
            ex = handle.exchange(
                {"op": "run", "code": setup, "filename": "<setup>", "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            outcome, error = self._classify(ex)
            if outcome != "ok":
                return ReferenceRun(outcome, ex.output, error, None, stage="setup")
            for piece in pieces:
                ex = handle.exchange(
                    # Re-seeded like each of the learner's runs, so a set-up that draws
                    # random numbers leaves both on the same stream.
                    {"op": "run", "code": piece, "filename": filename, "seed": seed, "echo": echo},
                    timeout=self.timeout,
                    lang=self.lang,
                )
                outcome, error = self._classify(ex)
                if outcome != "ok":
                    break
            snap = None if ex.dead else self._snapshot_in(handle, names)
            return ReferenceRun(outcome, ex.output, error, snap)
        finally:
            self._pool.retire(handle)

    def judge(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer ``request`` with the judge handler, in the pristine judge process."""
        self.start()
        with self._judge_lock:
            if self._judge is None or self._pool.gone(self._judge):
                self._judge = self._pool.judge()
            handle = self._judge
            ex = handle.exchange(
                {"op": "judge", "request": request}, timeout=self.judge_timeout, lang=self.lang
            )
            if ex.dead or ex.reply is None:
                self._pool.retire(handle)
                self._judge = None
                raise SandboxError(
                    f"the judge process stopped ({outcomes.status_words(ex.status)})"
                )
            if not ex.reply.get("ok"):
                err = ex.reply.get("error") or {}
                raise SandboxError(
                    f"judge handler failed: {err.get('type')}: "
                    f"{err.get('message')}\n{err.get('traceback', '')}"
                )
            answer: dict[str, Any] = ex.reply.get("answer") or {}
            return answer

    def discard(self, snapshot_dir: str) -> None:
        """Delete a snapshot directory made by this sandbox."""
        workdir = self._pool.workdir
        if workdir and os.path.abspath(snapshot_dir).startswith(workdir + os.sep):
            shutil.rmtree(snapshot_dir, ignore_errors=True)

    def _snapshot_in(self, handle: WorkerHandle, names: list[str]) -> str | None:
        assert self._pool.workdir is not None
        dest = tempfile.mkdtemp(dir=os.path.join(self._pool.workdir, "snapshots"))
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
            else f"snapshot failed: the worker stopped ({outcomes.status_words(ex.status)})"
        )
        return None

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
        self._pool.close()
        self._current = self._judge = None
        _LIVE.discard(self)

    def __enter__(self) -> Sandbox:  # noqa: PYI034 - Python 3.10 has no typing.Self
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lost_with_zygote(ex: Exchange) -> bool:
    return ex.dead and not ex.killed and ex.status is None and not ex.output


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


@atexit.register
def _close_all() -> None:
    for sandbox in list(_LIVE):
        sandbox.close()
