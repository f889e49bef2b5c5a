"""The worker process: holds the learner's namespace and runs code in it.

Forked from the zygote (torch already imported). Requests arrive as JSON
frames on a socket; output goes to fd 1 and 2, a pipe the UI reads. After each
request the worker writes a marker to the pipe, then replies, so the UI knows
when all of a run's output has arrived. SIGINT raises KeyboardInterrupt only
while learner code runs. Imports neither rich nor prompt_toolkit.
"""

from __future__ import annotations
import __future__

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

from tutor.sandbox import confine, introspect, limits, mainmodule, protocol, shapetrace
from tutor.sandbox._resolve import resolve
from tutor.sandbox.tracebacks import SourceNames, format_error, make_showwarning

_MISSING = object()
_dict = dict  # captured: learner code may replace builtins.dict
_ALLOC_BYTES = re.compile(r"allocate (\d+) bytes")
_MEMORY_WORDS = ("can't allocate memory", "out of memory", "not enough memory")
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


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
        # `from __future__` imports typed at the prompt hold for later inputs.
        self._future_flags = 0
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
        # The prompt's names (a deliberate difference from `python -i`: torch is imported).
        self.namespace = mainmodule.prompt_module({"torch": torch, "device": self.device}).__dict__

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
        if op == "script" and fds is not None and len(fds) == 2:
            return self.run_script(str(msg["path"]), [str(a) for a in msg.get("argv") or ()], fds)
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
        lines = code.splitlines(True)
        if lines and not lines[-1].endswith("\n"):
            # As linecache reads a file: Python's caret column counts on the line's newline.
            lines[-1] += "\n"
        linecache.cache[internal] = (len(code), None, lines, internal)
        try:
            body, last = self._compile(code, internal, echo)
            self._future_flags |= body.co_flags & _FUTURE_FLAGS
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

    def run_script(self, path: str, argv: list[str], fds: list[int]) -> dict[str, Any]:
        """Run the file at ``path`` as ``python FILE ARGS`` would, in its own ``__main__``.

        ``fds`` are the UI's ends for the script's stderr and stdin. As Python
        does: the exception (learner frames only) goes to ``sys.excepthook``,
        then non-daemon threads are joined and ``atexit`` handlers run; the
        reply carries the exit status.
        """
        mainmodule.attach_streams(*fds)
        self._streams = (sys.stdout, sys.stderr)  # type: ignore[assignment]
        if self.device.type != "cpu":
            # A script picks its device itself; tensors start on the CPU, as in Python.
            torch.set_default_device(None)
        folder = os.path.dirname(path)
        self.namespace = mainmodule.script_module(path, argv).__dict__
        self.names.add_root(folder)
        mainmodule.python_warnings()
        try:
            os.chdir(folder)
            code = mainmodule.compile_file(path)
        except (
            OSError,
            SyntaxError,
            ValueError,
            OverflowError,
            MemoryError,
            RecursionError,
        ) as exc:
            error = format_error(exc, self.names)
            self._report(exc, error)
            return {"outcome": "error", "error": error, "exit_code": 1}
        self._enter_learner()
        try:
            exec(code, self.namespace)  # noqa: S102 - running learner code is the point
            reply: dict[str, Any] = {"outcome": "ok", "exit_code": 0}
        except BaseException as exc:  # noqa: BLE001 - every learner failure is an outcome
            self._exit_if_forked()
            reply = self._script_failure(exc)
        try:
            mainmodule.finish()
        except BaseException as exc:  # noqa: BLE001 - e.g. the time limit while joining threads
            self._exit_if_forked()
            if reply["outcome"] == "ok" or isinstance(exc, KeyboardInterrupt):
                reply = self._script_failure(exc)
            else:
                _release(exc)
        self._exit_if_forked()
        self._leave_learner()
        return reply

    def _script_failure(self, exc: BaseException) -> dict[str, Any]:
        if isinstance(exc, SystemExit):
            status = mainmodule.exit_status(exc.code)
            _release(exc)
            return {"outcome": "exited", "exit_code": status, "error": None}
        error = format_error(exc, self.names)
        self._report(exc, error)
        reply = self._failure(exc, error)
        # Python ends on an uncaught Ctrl-C the way a shell reports SIGINT.
        reply["exit_code"] = 130 if isinstance(exc, KeyboardInterrupt) else 1
        return reply

    def _report(self, exc: BaseException, error: dict[str, str]) -> None:
        """Print an uncaught exception as Python does: through ``sys.excepthook``."""
        hook = sys.excepthook
        if hook is sys.__excepthook__:
            _write_quietly(sys.stderr, error["traceback"])
            return
        try:
            hook(type(exc), exc, exc.__traceback__)
        except BaseException as failed:  # noqa: BLE001 - reported as Python reports it
            _write_quietly(sys.stderr, "Error in sys.excepthook:\n")
            _write_quietly(sys.stderr, format_error(failed, self.names)["traceback"])
            _write_quietly(sys.stderr, "\nOriginal exception was:\n" + error["traceback"])

    def _exit_if_forked(self) -> None:
        # Learner code that called os.fork(): the child must not go on serving.
        if os.getpid() != self.pid:
            _flush_quietly(sys.stdout, sys.stderr)
            os._exit(0)

    def _compile(self, code: str, internal: str, echo: bool) -> tuple[Any, Any]:
        # dont_inherit: this module's `from __future__ import annotations` must not
        # turn the learner's annotations into strings.
        flags = self._future_flags
        tree = compile(code, internal, "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
        last = None
        if echo and tree.body and isinstance(tree.body[-1], ast.Expr):
            # Like the Python prompt: the value of a final expression is shown.
            single = ast.Interactive(body=[tree.body.pop()])
            last = compile(single, internal, "single", flags, dont_inherit=True)
        return compile(tree, internal, "exec", flags, dont_inherit=True), last

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

    def _failure(self, exc: BaseException, error: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            if isinstance(exc, SystemExit):
                return self._exit_reply(exc)
            error = error or format_error(exc, self.names)
            if isinstance(exc, KeyboardInterrupt):
                return {"outcome": "interrupted", "error": error}
            if _is_memory(exc):
                return self._memory_reply(exc, error)
            return {"outcome": "error", "error": error}
        finally:
            _release(exc)

    def _exit_reply(self, exc: SystemExit) -> dict[str, Any]:
        status = mainmodule.exit_status(exc.code)
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


def _write_quietly(stream: Any, text: str) -> None:
    # The learner may have closed or replaced sys.stderr; Python then prints nothing either.
    with contextlib.suppress(Exception):
        stream.write(text)
        stream.flush()


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
