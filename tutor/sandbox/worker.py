"""The worker process: holds the learner's namespace and runs code in it.

Forked from the zygote (torch already imported). Requests arrive as JSON
frames on a socket; output goes to fd 1 and 2, a pipe the UI reads. After each
request the worker writes a marker to the pipe, then replies, so the UI knows
when all of a run's output has arrived. SIGINT raises KeyboardInterrupt only
while learner code runs. Imports neither rich nor prompt_toolkit.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import io
import linecache
import os
import random
import re
import signal
import socket
import sys
import warnings
from typing import Any

import numpy as np
import torch

from tutor.sandbox import confine, introspect, limits, protocol, shapetrace
from tutor.sandbox._resolve import resolve
from tutor.sandbox.tracebacks import SourceNames, format_error, make_showwarning

_MISSING = object()
_dict = dict  # captured: learner code may replace builtins.dict
_ALLOC_BYTES = re.compile(r"allocate (\d+) bytes")
_MEMORY_WORDS = ("can't allocate memory", "out of memory", "not enough memory")


class Worker:
    """One learner namespace and the loop that serves the UI's requests."""

    def __init__(self, sock: socket.socket, config: dict[str, Any]) -> None:
        self.sock = sock
        self.config = config
        self.nonce = os.urandom(8).hex()
        self.pid = os.getpid()
        self._marker_fd = 1
        self.names = SourceNames()
        self.in_learner = False
        self.device = torch.device(config.get("device") or "cpu")
        self.memory_cap = 0
        self.device_error = ""
        self.namespace: dict[str, Any] = {}
        self._pristine_builtins = dict(builtins.__dict__)
        self._learner_builtins: dict[str, Any] | None = None
        # Resolved once, before any learner code: rebinding the module attribute later
        # changes nothing.
        self._take: Any = None
        self._take_error = ""
        try:
            self._take = resolve(config.get("snapshot") or "tutor.judge.snapshot:take")
        except Exception as exc:  # noqa: BLE001 - reported when a snapshot is asked for
            self._take_error = f"{type(exc).__name__}: {exc}"
        self.protections: dict[str, Any] = {}
        self.shapes = shapetrace.Recorder()  # the last input's shapes, op by op (/shapes)

    # -- set-up -------------------------------------------------------------

    def setup(self) -> None:
        """Make this fork a worker: streams, seeds, device, limits, signals."""
        # A private copy of the pipe for end-of-output markers, out of reach of
        # learner code that closes or redirects fd 1.
        self._marker_fd = os.dup(1)
        os.set_inheritable(self._marker_fd, False)
        sys.stdout = _stream(1)
        sys.stderr = _stream(2)
        self._streams = (sys.stdout, sys.stderr)
        reseed(int.from_bytes(os.urandom(4), "big"))
        self._setup_device()
        self.protections = confine_self(self.config, own_folder=True)
        self._install_signals()
        self.shapes.install()
        warnings.resetwarnings()
        warnings.simplefilter("default")
        warnings.showwarning = make_showwarning(self.names, lambda: sys.stderr)
        self.namespace = {
            "__name__": "__main__",
            "__builtins__": builtins,
            "torch": torch,
            "device": self.device,
        }

    def _setup_device(self) -> None:
        try:
            self._use_device()
        except Exception as exc:  # noqa: BLE001 - no such device: run on the CPU, say why
            self.device_error = f"{self.device}: {type(exc).__name__}: {exc}"
            self.device = torch.device("cpu")
            self._use_device()

    def _use_device(self) -> None:
        memory_mb = int(self.config.get("memory_mb") or limits.DEFAULT_MEMORY_MB)
        if self.device.type == "cuda":
            # No RLIMIT_AS here: CUDA reserves huge address ranges.
            index = self.device.index if self.device.index is not None else 0
            torch.cuda.set_device(index)
            total = torch.cuda.get_device_properties(index).total_memory
            fraction = (
                min(0.95, memory_mb * 1024 * 1024 / total) if self.config.get("memory_mb") else 0.8
            )
            torch.cuda.set_per_process_memory_fraction(fraction, index)
            self.memory_cap = int(fraction * total)
        elif self.device.type == "cpu":
            self.memory_cap = limits.apply_memory_limit(memory_mb)
        if self.device.type != "cpu":
            torch.set_default_device(self.device)

    def _install_signals(self) -> None:
        signal.signal(signal.SIGINT, self._on_sigint)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        # Only learner code may be interrupted; the protocol code never is.
        if self.in_learner:
            raise KeyboardInterrupt

    # -- serving ------------------------------------------------------------

    def serve(self) -> None:
        """Answer requests until the UI closes the channel."""
        protocol.send_msg(
            self.sock,
            {
                "ev": "ready",
                "pid": os.getpid(),
                "nonce": self.nonce,
                "memory_cap": self.memory_cap,
                "vm_idle": limits.vm_size_bytes(),
                "device": str(self.device),
                "device_error": self.device_error,
                "protections": self.protections,
            },
        )
        while True:
            try:
                msg, fds = protocol.recv_msg_fds(self.sock)
            except (protocol.ProtocolError, OSError):
                return
            try:
                reply = self.handle(msg, fds)
            except BaseException as exc:  # noqa: BLE001 - the worker must always answer
                self.in_learner = False
                reply = {
                    "ok": False,
                    "outcome": "error",
                    "error": {"type": type(exc).__name__, "message": str(exc), "traceback": ""},
                }
            protocol._close_all(fds)
            reply["id"] = msg.get("id")
            self._end_output(msg.get("id"))
            try:
                protocol.send_msg(self.sock, reply)
            except OSError:
                return

    def handle(self, msg: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        """Dispatch one request (``fds``: file descriptors that came with it)."""
        op = msg.get("op")
        if op == "run":
            return self.run(
                msg.get("code", ""),
                msg.get("filename") or "<input>",
                msg.get("seed"),
                bool(msg.get("echo")),
            )
        if op == "snapshot":
            if not fds:
                return {"ok": False, "error": {"type": "ValueError", "message": "no snapshot file"}}
            return self.snapshot(list(msg.get("names", [])), fds[0])
        if op == "call":
            return self.call(str(msg.get("name")), dict(msg.get("kwargs") or {}))
        if op == "ping":
            return {"ok": True}
        return {"ok": False, "error": {"type": "ValueError", "message": f"unknown op {op!r}"}}

    def _end_output(self, rid: Any) -> None:
        _flush_quietly(*self._streams, sys.stdout, sys.stderr)
        marker = b"\x00\x1d" + self.nonce.encode() + b":" + str(rid).encode() + b"\x1d\x00"
        try:
            os.write(self._marker_fd, marker)
        except OSError:
            pass

    # -- running learner code ----------------------------------------------

    def run(self, code: str, filename: str, seed: int | None, echo: bool) -> dict[str, Any]:
        """Run ``code`` in the namespace and classify how it ended."""
        internal = self.names.new(filename)
        linecache.cache[internal] = (len(code), None, code.splitlines(True), internal)
        try:
            body, last = self._compile(code, internal, echo)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as exc:
            return {"outcome": "error", "error": format_error(exc, self.names)}
        if seed is not None:
            reseed(int(seed))
        self.shapes.start(code)
        # Python shows a warning once per line number of a module; every input is new code,
        # so an input's warning is never hidden by an earlier input's on the same line number.
        self.namespace.pop("__warningregistry__", None)
        try:
            self._enter_learner()
            with self.shapes.mode():
                exec(body, self.namespace)  # noqa: S102 - running learner code is the point
                if last is not None:
                    exec(last, self.namespace)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - every learner failure is an outcome
            self._exit_if_forked()
            self._leave_learner()
            self.shapes.stop()
            return self._failure(exc)
        self._exit_if_forked()
        self._leave_learner()
        self.shapes.stop()
        return {"outcome": "ok"}

    def _exit_if_forked(self) -> None:
        # Learner code that called os.fork(): the child must not go on serving.
        if os.getpid() != self.pid:
            _flush_quietly(sys.stdout, sys.stderr)
            os._exit(0)

    @staticmethod
    def _compile(code: str, internal: str, echo: bool) -> tuple[Any, Any]:
        tree = ast.parse(code, internal, "exec")
        last = None
        if echo and tree.body and isinstance(tree.body[-1], ast.Expr):
            # Like the Python prompt: the value of a final expression is shown.
            last = compile(ast.Interactive(body=[tree.body.pop()]), internal, "single")
        return compile(tree, internal, "exec"), last

    def _enter_learner(self) -> None:
        if self._learner_builtins is not None:
            _swap_dict(builtins.__dict__, self._learner_builtins)
        self.in_learner = True

    def _leave_learner(self) -> None:
        # Learner code may have patched builtins (isinstance, len, print ...):
        # restore the originals first, using nothing but captured functions, so
        # the worker's own code runs on them; the learner gets theirs back next run.
        self.in_learner = False
        current = builtins.__dict__
        learner = _dict(current)
        _swap_dict(current, self._pristine_builtins)
        pristine = self._pristine_builtins
        changed = len(learner) != len(pristine) or any(
            learner.get(k, _MISSING) is not v for k, v in pristine.items()
        )
        self._learner_builtins = learner if changed else None
        # Output always reaches the tutor: a learner who replaced sys.stdout
        # (e.g. with None) gets the pipe back for the next input.
        sys.stdout, sys.stderr = self._streams
        if signal.getsignal(signal.SIGINT) is not self._on_sigint:
            signal.signal(signal.SIGINT, self._on_sigint)

    def _failure(self, exc: BaseException) -> dict[str, Any]:
        try:
            if isinstance(exc, SystemExit):
                return self._exit_reply(exc)
            error = format_error(exc, self.names)
            if isinstance(exc, KeyboardInterrupt):
                return {"outcome": "interrupted", "error": error}
            if _is_memory(exc):
                return self._memory_reply(exc, error)
            return {"outcome": "error", "error": error}
        finally:
            _release(exc)

    def _exit_reply(self, exc: SystemExit) -> dict[str, Any]:
        code = exc.code
        if code is None:
            status = 0
        elif isinstance(code, int):
            status = code
        else:
            print(code, file=sys.stderr)
            status = 1
        return {
            "outcome": "exited",
            "exit_code": status,
            "error": {"type": "SystemExit", "message": str(status), "traceback": ""},
        }

    def _memory_reply(self, exc: BaseException, error: dict[str, str]) -> dict[str, Any]:
        match = _ALLOC_BYTES.search(error["message"])
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        return {
            "outcome": "memory",
            "error": error,
            "memory_cap": self.memory_cap,
            "device": str(self.device),
            "requested": int(match.group(1)) if match else None,
        }

    # -- snapshots and helpers ---------------------------------------------

    def snapshot(self, names: list[str], dest: int) -> dict[str, Any]:
        """Capture ``names`` from the namespace into the file ``dest`` (the UI made it)."""
        if self._take is None:
            return {"ok": False, "error": {"type": "ImportError", "message": self._take_error}}
        try:
            result = self._take(self.namespace, names, dest)
        except BaseException as exc:  # noqa: BLE001 - a learner object may break the taker
            error = format_error(exc, self.names)
            _release(exc)
            return {"ok": False, "error": error}
        return {"ok": True, "result": result if isinstance(result, dict) else None}

    def call(self, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Run a helper from the introspection registry."""
        try:
            result = introspect.dispatch(name, self, kwargs)
        except BaseException as exc:  # noqa: BLE001 - a helper must never end the worker
            text = f"{type(exc).__name__}: {exc}"
            _release(exc)
            return {"ok": False, "error": {"type": "HelperError", "message": text}}
        return {"ok": True, "result": result}


def _flush_quietly(*streams: Any) -> None:
    for stream in streams:
        # A learner-replaced stream may be broken; the reply must still go out.
        with contextlib.suppress(Exception):
            stream.flush()


def reseed(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _stream(fd: int) -> io.TextIOWrapper:
    # Unbuffered text streams: a loop that prints shows as it goes.
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(
        raw, encoding="utf-8", errors="backslashreplace", line_buffering=True, write_through=True
    )


def _swap_dict(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key in [k for k in target if k not in source]:
        del target[key]
    for key, value in source.items():
        if target.get(key, _MISSING) is not value:
            target[key] = value


def _is_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    if isinstance(exc, RuntimeError):
        text = str(exc).lower()
        return any(word in text for word in _MEMORY_WORDS)
    return False


def _release(exc: BaseException) -> None:
    # Drop the frames an exception holds so big tensors in them are freed now.
    tb = exc.__traceback__
    if tb is not None:
        import traceback

        try:
            traceback.clear_frames(tb)
        except RuntimeError:
            pass
    exc.__traceback__ = None


def confine_self(config: dict[str, Any], own_folder: bool) -> dict[str, Any]:
    """Apply the zygote's confinement policy to this fork; the report of each protection.

    ``config["policy"]`` is the Policy the zygote computed (inherited through the
    fork, never sent over a socket); ``config["read"]``/``config["write"]`` add
    paths (``run FILE`` grants its script's folder); the process's own folder is
    ``w-PID`` in the sandbox's working directory.
    """
    policy = config.get("policy")
    if policy is not None:
        policy = confine.with_paths(policy, config.get("read") or (), config.get("write") or ())
    folder = confine.make_folder(os.getcwd(), f"w-{os.getpid()}") if own_folder else None
    file_mb = int(config.get("file_mb") or confine.DEFAULT_FILE_MB)
    processes = int(config.get("processes") or confine.DEFAULT_PROCESSES)
    return confine.apply(policy, folder, confine.Limits(file_mb, processes))


def serve(sock: socket.socket, config: dict[str, Any]) -> None:
    """Entry point in a freshly forked child."""
    worker = Worker(sock, config)
    worker.setup()
    worker.serve()
