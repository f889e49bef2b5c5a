"""The UI-side sandbox: run learner code in forked workers, never in this process.

See docs/architecture.md ("tutor.sandbox.Sandbox") for the contract. This
module imports no torch: torch lives in the zygote and its forks.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from tutor.sandbox import _script, messages, outcomes
from tutor.sandbox import confine as _confine
from tutor.sandbox import limits as _limits
from tutor.sandbox._channel import Exchange, WorkerHandle, forward_sigint
from tutor.sandbox._pool import FORK_WAIT, Pool
from tutor.sandbox.results import ErrorInfo, ReferenceRun, RunResult, SandboxBusy, SandboxError

_TOKEN = "snapshot:"
_SNAPSHOT_ROOM = 1 << 36  # the size a memory file starts with (sparse: costs nothing)
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
        self._judge_lock = threading.Lock()
        self._current: WorkerHandle | None = None
        self._judge: WorkerHandle | None = None
        self._history: list[tuple[str, str, int | None]] = []
        # For /undo: the history's length before each recorded run, the last run's last.
        self._marks: list[int] = []
        self._running: WorkerHandle | None = None
        self._last_snapshot_error = ""
        # Learner snapshots: token -> (memory file, meta), until judged and discarded.
        self._held: dict[str, tuple[int, dict[str, Any]]] = {}
        # Reference snapshots live in the judge only; how to make each again for a new judge.
        self._references: dict[str, tuple[str, str, int | None, list[str]]] = {}
        self._judge_has: set[str] = set()
        self._eval_lock = threading.Lock()
        self._evaluator: WorkerHandle | None = None
        self._serial = 0
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
            self._pool.restart()  # it was killed or stopped: a new one, said in the next note
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
            for index, (code, filename, seed) in enumerate(self._history):
                ex = self._current.exchange(
                    {"op": "run", "code": code, "filename": filename, "seed": seed},
                    timeout=self.timeout,
                    lang=self.lang,
                )
                outcome, error = self._classify(ex)
                if outcome != "ok":
                    # The namespace holds what ran before this entry; so does what is recorded.
                    del self._history[index:]
                    self._marks = [m for m in self._marks if m <= index]
                    if ex.dead:
                        self._pool.retire(self._current)
                        self._current = self._pool.take_spare()
                    duration = time.monotonic() - started
                    return RunResult(outcome, "", error, duration), ran_clean
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
        for index, (code, filename, seed) in enumerate(self._history):
            ex = self._current.exchange(
                {"op": "run", "code": code, "filename": filename, "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            outcome, _ = self._classify(ex)
            if outcome != "ok":
                del self._history[index:]
                self._marks = [m for m in self._marks if m <= index]
                if ex.dead:
                    self._pool.retire(self._current)
                    self._current = self._pool.take_spare()
                return told + messages.text("replay_failed", self.lang, outcome=outcome)
        return told + messages.text("restarted", self.lang)

    def _classify(self, ex: Exchange) -> tuple[str, ErrorInfo | None]:
        caps = {"disk_mb": self.disk_mb, "processes": self.processes}
        return outcomes.classify(ex, self.lang, self.timeout, self._limits.memory_mb, caps)

    # -- values and checks ----------------------------------------------------

    def snapshot(self, names: list[str]) -> str:
        """Capture ``names`` from the namespace; return a token for ``judge`` and ``discard``.

        The values travel as plain bytes in a memory file the UI creates and the
        worker fills; no file of them exists where a worker could open it.
        """
        self.start()
        with self._lock:
            handle = self._worker()
            token = self._snapshot_in(handle, names)
            if handle.dead:
                self._recover()
            if token is None:
                raise SandboxError(self._last_snapshot_error)
            return token

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

    def reference(
        self, setup: str, solution: str, seed: int | None, names: list[str]
    ) -> ReferenceRun:
        """Run setup then solution, each seeded, in a worker that never ran learner code.

        Its snapshot goes straight to the judge, which keeps it in memory: the
        token in ``snapshot_dir`` names it there, and nowhere else do the values exist.
        """
        run = self._fresh_run(setup, [solution], seed, names, "<solution>")
        if run.snapshot_dir is not None:
            self._references[run.snapshot_dir] = (setup, solution, seed, list(names))
            try:
                self._hold_in_judge(run.snapshot_dir)
            except SandboxError:
                pass  # the judge will be sent it when it is asked to judge
        return run

    def trial(self, setup: str, code: str, seed: int | None, names: list[str]) -> ReferenceRun:
        """Run learner ``code`` after ``setup`` in a fresh worker of its own (a variant check);
        its snapshot is a learner's: judged once, then discarded."""
        return self._fresh_run(setup, [code], seed, names, "<answer>")

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
        (a multi-input answer is judged on its last input's output, as at the prompt). The
        snapshot is a learner's: judged once, then discarded.
        """
        return self._fresh_run(setup, pieces, seed, names, filename, echo=echo)

    def _fresh_run(
        self,
        setup: str,
        pieces: list[str],
        seed: int | None,
        names: list[str],
        filename: str,
        retry: bool = True,
        echo: bool = False,
    ) -> ReferenceRun:
        self.start()
        with self._lock:
            handle = self._pool.take_spare()
        try:
            ex = handle.exchange(
                {"op": "run", "code": setup, "filename": "<setup>", "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            if retry and _lost_with_zygote(ex):
                # The spare went down with a zygote that died under it (learner code
                # killed it): a new zygote, a new spare, once.
                self._pool.retire(handle)
                return self._fresh_run(setup, pieces, seed, names, filename, retry=False, echo=echo)
            outcome, error = self._classify(ex)
            if outcome != "ok":
                return ReferenceRun(outcome, ex.output, error, None, stage="setup")
            ran = 0
            for piece in pieces:
                ran += 1
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
            return ReferenceRun(outcome, ex.output, error, snap, ran=ran)
        finally:
            self._pool.retire(handle)

    def evaluate(
        self, predicates: list[tuple[str, list[str]]], token: str
    ) -> dict[str, list[Any]] | None:
        """Evaluate lesson predicates on a learner snapshot in the confined evaluator.

        Returns {predicate key: [holds, detail]} (see tutor.judge.checks.predicate_key),
        or None when the evaluator could not answer (it is replaced next time).
        """
        from tutor.judge.verdict import predicate_key

        if not predicates or token not in self._held:
            return {}
        fd, meta = self._held[token]
        self.start()
        with self._eval_lock:
            if self._evaluator is None or self._pool.gone(self._evaluator):
                self._evaluator = self._pool.evaluator()
            handle = self._evaluator
            ex = handle.exchange(
                {"op": "evaluate", "meta": meta, "predicates": predicates, "lang": self.lang},
                timeout=self.judge_timeout,
                lang=self.lang,
                fds=[fd],
            )
            if ex.dead or ex.reply is None or not ex.reply.get("ok"):
                self._pool.retire(handle)
                self._evaluator = None
                return None
            results = ex.reply.get("results") or []
        return {
            predicate_key(expr, uses): list(result)
            for (expr, uses), result in zip(predicates, results, strict=False)
        }

    def judge(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``request`` with the judge handler, in the pristine judge process.

        Snapshot tokens in the request are resolved: a learner's goes along with
        the request, a reference is already in the judge (or is made again when the
        judge was replaced).
        """
        self.start()
        tokens = [v for v in request.values() if isinstance(v, str) and v.startswith(_TOKEN)]
        for token in tokens:
            if token in self._references and token not in self._judge_has:
                self._remake_reference(token)
        with self._judge_lock:
            handle = self._judge_handle()
            learner = [t for t in tokens if t in self._held]
            ex = handle.exchange(
                {
                    "op": "judge",
                    "request": request,
                    "held": [{"token": t, "meta": self._held[t][1]} for t in learner],
                },
                timeout=self.judge_timeout,
                lang=self.lang,
                fds=[self._held[t][0] for t in learner],
            )
            if ex.dead or ex.reply is None:
                self._drop_judge(handle)
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

    def _judge_handle(self) -> WorkerHandle:
        """The judge process (call with ``_judge_lock`` held); a new one forgets references."""
        if self._judge is None or self._pool.gone(self._judge):
            if self._judge is not None:
                self._pool.retire(self._judge)
            self._judge = self._pool.judge()
            self._judge_has = set()
        return self._judge

    def _drop_judge(self, handle: WorkerHandle) -> None:
        self._pool.retire(handle)
        self._judge = None
        self._judge_has = set()

    def _hold_in_judge(self, token: str) -> None:
        """Send a reference snapshot to the judge to keep; the UI's copy is closed."""
        fd, meta = self._held.pop(token)
        try:
            with self._judge_lock:
                handle = self._judge_handle()
                ex = handle.exchange(
                    {"op": "hold", "held": [{"token": token, "meta": meta}]},
                    timeout=self.judge_timeout,
                    lang=self.lang,
                    fds=[fd],
                )
                if ex.dead or ex.reply is None or not ex.reply.get("ok"):
                    self._drop_judge(handle)
                    raise SandboxError("the judge could not take the reference values")
                self._judge_has.add(token)
        finally:
            os.close(fd)

    def _remake_reference(self, token: str) -> None:
        """Run a reference again for a judge that never had it (the old one died)."""
        setup, solution, seed, names = self._references[token]
        again = self._fresh_run(setup, [solution], seed, names, "<solution>")
        if again.snapshot_dir is None:
            raise SandboxError("the reference solution could not be run again")
        self._held[token] = self._held.pop(again.snapshot_dir)
        self._hold_in_judge(token)

    def discard(self, token: str) -> None:
        """Forget a learner snapshot (its memory file is closed)."""
        held = self._held.pop(token, None)
        if held is not None:
            os.close(held[0])

    def _snapshot_in(self, handle: WorkerHandle, names: list[str]) -> str | None:
        fd = _memory_file()
        ex = handle.exchange(
            {"op": "snapshot", "names": list(names)},
            timeout=self.timeout,
            lang=self.lang,
            fds=[fd],
        )
        reply = ex.reply or {}
        result = reply.get("result") if reply.get("ok") else None
        if isinstance(result, dict) and isinstance(result.get("size"), int):
            try:
                os.ftruncate(fd, result["size"])
                _seal(fd)
            except OSError as exc:
                os.close(fd)
                self._last_snapshot_error = f"snapshot failed: {exc}"
                return None
            self._serial += 1
            token = f"{_TOKEN}{os.getpid()}-{self._serial}"
            self._held[token] = (fd, result)
            return token
        os.close(fd)
        err = reply.get("error") or {}
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


def _memory_file() -> int:
    """A file with no name for a snapshot, large enough and sparse; the worker maps it."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("torch-tutor-snapshot", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    else:  # macOS: a temporary file, unlinked at once
        fd = os.dup(tempfile.TemporaryFile().fileno())
    room = _SNAPSHOT_ROOM
    while True:
        try:
            os.ftruncate(fd, room)
            return fd
        except OSError:
            if room <= 1 << 26:
                raise
            room //= 4  # a file-size limit on the UI itself


def _seal(fd: int) -> None:
    """Freeze a snapshot's size and bytes where the system can (Linux memory files)."""
    import fcntl

    seals = sum(getattr(fcntl, n, 0) for n in ("F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE"))
    if hasattr(fcntl, "F_ADD_SEALS") and seals:
        try:
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        except OSError:
            pass  # the worker still maps it for writing: its own values, its own business


def _lost_with_zygote(ex: Exchange) -> bool:
    return ex.dead and not ex.killed and ex.status is None and not ex.output


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


@atexit.register
def _close_all() -> None:
    for sandbox in list(_LIVE):
        sandbox.close()
