"""The sandbox's checking half: snapshots, references, the judge and the evaluator.

``Sandbox`` (tutor.sandbox.sandbox) runs the learner's code; this half of it captures values
as sealed memory files (a learner's, judged once), keeps reference snapshots in the judge
process only, and asks the judge and the confined evaluator. Imports no torch.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tutor.sandbox import outcomes
from tutor.sandbox._channel import Exchange, WorkerHandle
from tutor.sandbox.results import ReferenceRun, SandboxError

if TYPE_CHECKING:
    from tutor.sandbox._pool import Pool
    from tutor.sandbox.results import ErrorInfo

_TOKEN = "snapshot:"
_SNAPSHOT_ROOM = 1 << 36  # the size a memory file starts with (sparse: costs nothing)


class Checking:
    """Values and checks, mixed into ``Sandbox``: every method may be called from several
    threads at once (a batch of trials, a reference computed ahead)."""

    # Made by Sandbox.__init__, which this half serves:
    lang: str
    judge_timeout: float
    _pool: Pool
    _lock: threading.Lock  # the current worker and the replay history

    if TYPE_CHECKING:

        @property
        def timeout(self) -> float: ...
        def start(self) -> None: ...
        def _worker(self) -> WorkerHandle: ...
        def _recover(self) -> str: ...
        def _classify(self, ex: Exchange) -> tuple[str, ErrorInfo | None]: ...

    def _init_checking(self) -> None:
        self._judge_lock = threading.Lock()
        self._judge: WorkerHandle | None = None
        self._last_snapshot_error = ""
        # Learner snapshots: token -> (memory file, meta), until judged and discarded.
        self._held: dict[str, tuple[int, dict[str, Any]]] = {}
        # Reference snapshots live in the judge only; how to make each again for a new judge.
        self._references: dict[str, tuple[str, str, int | None, list[str]]] = {}
        self._judge_has: set[str] = set()
        self._eval_lock = threading.Lock()
        self._evaluator: WorkerHandle | None = None
        self._serial = 0
        self._held_lock = threading.Lock()  # tokens are made and dropped from any thread
        self._remake_lock = threading.Lock()  # one thread remakes a lost reference

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
        """Run learner ``code`` after ``setup`` in a fresh worker of its own (a variant check,
        or one submission of a batch); its snapshot is a learner's: judged once, then
        discarded.

        ``trial``, ``reference``, ``judge``, ``evaluate`` and ``discard`` may be called from
        several threads at once: each trial runs in a worker of its own, side by side
        with the others (``prefork`` keeps enough of them forked ahead)."""
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

    def prefork(self, count: int) -> None:
        """Keep ``count`` fresh workers forked ahead (default 1), for ``count`` trials at once."""
        self._pool.reserve(count)

    @property
    def zygotes_lost(self) -> int:
        """How many zygotes this sandbox has lost (killed, stopped, crashed), counting one
        that is dead and not replaced yet (the next run replaces it)."""
        zygote = self._pool.zygote
        dead_now = zygote is not None and zygote.dead and zygote.info is not None
        return max(0, self._pool.generation - 1) + int(dead_now)

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
        handle = self._pool.take_spare()
        try:
            ex = handle.exchange(
                {"op": "run", "code": setup, "filename": "<setup>", "seed": seed},
                timeout=self.timeout,
                lang=self.lang,
            )
            if retry and lost_with_zygote(ex):
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
        references = [t for t in tokens if t in self._references]
        for attempt in (1, 2, 3):
            with self._judge_lock:
                # A judge found dead is replaced first: the new one holds no reference yet.
                self._judge_handle()
            for token in references:
                with self._remake_lock:
                    if token not in self._judge_has:  # another thread may have done it
                        self._remake_reference(token)
            with self._judge_lock:
                handle = self._judge_handle()
                if attempt < 3 and any(t not in self._judge_has for t in references):
                    continue  # the judge was replaced meanwhile: send the references again
                return self._judge_in(handle, request, tokens)
        raise AssertionError("unreachable")

    def _judge_in(
        self, handle: WorkerHandle, request: Mapping[str, Any], tokens: list[str]
    ) -> dict[str, Any]:
        """One judge exchange (call with ``_judge_lock`` held)."""
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
            raise SandboxError(f"the judge process stopped ({outcomes.status_words(ex.status)})")
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
        with self._held_lock:
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
        with self._held_lock:
            self._held[token] = self._held.pop(again.snapshot_dir)
        self._hold_in_judge(token)

    def discard(self, token: str) -> None:
        """Forget a learner snapshot (its memory file is closed)."""
        with self._held_lock:
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
            with self._held_lock:
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


def lost_with_zygote(ex: Exchange) -> bool:
    return ex.dead and not ex.killed and ex.status is None and not ex.output
