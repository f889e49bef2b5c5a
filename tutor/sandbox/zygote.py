"""The zygote: imports torch once, never computes, and forks workers on request.

Run as ``python -m tutor.sandbox.zygote FD UI_PID [PRELOAD ...]`` by
``Sandbox.start()``; FD is its end of a socketpair to the UI. For each fork it
makes a socketpair (and, for workers, an output pipe), forks, and passes the
UI's ends to the UI with SCM_RIGHTS. It reaps children, kills each dead
worker's process group, and reports exit statuses so the UI can say why a
worker died. When the UI goes away, it kills everything and exits.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from tutor.sandbox import _linux, confine, protocol

# Set before torch is imported: a fork after CUDA initialised is unusable, and
# an OpenMP/OpenBLAS pool started before fork can hang a child's first matmul.
_ENV = {
    "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "KMP_INIT_AT_FORK": "FALSE",
}
# Set whatever the environment says: learner code's plt.show() must never wait for a window.
_FORCED_ENV = {"MPLBACKEND": "module://tutor.sandbox.mplbackend"}


class Zygote:
    """The fork server's state: its UI channel and its children."""

    def __init__(self, sock: socket.socket, ui_pid: int) -> None:
        self.sock = sock
        self.ui_pid = ui_pid
        self.children: dict[int, str] = {}
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.workdir = os.getcwd()
        self.policies: dict[tuple[Any, ...], confine.Policy] = {}
        self.killed_for: dict[int, str] = {}  # pid -> why the watchdog stopped it
        self.caps: dict[int, tuple[int, int]] = {}  # worker pid -> (disk bytes, processes)

    def loop(self) -> None:
        """Serve fork and signal requests until told to stop or the UI disappears."""
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.set_wakeup_fd(self.wake_w)
        self.selector.register(self.sock, selectors.EVENT_READ, "ui")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        while True:
            # Workers are watched a few times a second: their folder's size and their
            # processes, which learner threads and children change between requests too.
            ready = self.selector.select(_WATCH_EVERY if self.caps else None)
            self.watch()
            for key, _ in ready:
                if key.data == "wake":
                    _drain(self.wake_r)
                    self.reap()
                    if self.stopping:
                        self.shutdown()
                        return
                    continue
                try:
                    msg, fds = protocol.recv_msg_fds(self.sock)
                except (protocol.ProtocolError, OSError):
                    self.shutdown()
                    return
                protocol._close_all(fds)
                if not self.handle(msg):
                    self.shutdown()
                    return

    def _on_term(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def handle(self, msg: dict[str, Any]) -> bool:
        """Do one request; return False to stop."""
        op = msg.get("op")
        pid = int(msg.get("pid") or 0)
        if op == "fork":
            self.fork(msg)
        elif op == "kill" and pid in self.children:
            _linux.kill_tree(pid)
            self.sweep_orphans()
        elif op == "signal" and pid in self.children:
            _signal(pid, int(msg.get("sig", signal.SIGINT)))
        elif op == "shutdown":
            return False
        return True

    def fork(self, msg: dict[str, Any]) -> None:
        """Fork a worker or a judge and hand its channel (and output pipe) to the UI."""
        role = msg.get("role", "worker")
        config = dict(msg.get("config") or {})
        config["policy"] = self.policy(config)
        ui_end, child_end = socket.socketpair()
        out_r, out_w = os.pipe() if role == "worker" else (-1, -1)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            ui_end.close()
            self._become_child(parent, role, config, child_end, out_r, out_w)
        child_end.close()
        fds = [ui_end.fileno()] + ([out_r] if out_r >= 0 else [])
        self.children[pid] = role
        if role == "worker":
            disk = int(config.get("disk_mb") or confine.DEFAULT_DISK_MB) * 1024 * 1024
            self.caps[pid] = (disk, int(config.get("processes") or confine.DEFAULT_PROCESSES))
        try:
            protocol.send_msg(
                self.sock, {"ev": "forked", "req": msg.get("req"), "pid": pid, "role": role}, fds
            )
        finally:
            ui_end.close()
            if out_w >= 0:
                os.close(out_w)
                os.close(out_r)

    def _become_child(
        self,
        parent: int,
        role: str,
        config: dict[str, Any],
        sock: socket.socket,
        out_r: int,
        out_w: int,
    ) -> None:
        code = 0
        try:
            os.setsid()  # its own process group: killing it kills the learner's children too
            _linux.die_with_parent(parent)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self.selector.close()
            self.sock.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
            if out_w >= 0:
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                os.close(out_w)
                os.close(out_r)
            if role == "judge":
                from tutor.sandbox import judgeproc

                judgeproc.serve(sock, config)
            elif role == "evaluator":
                from tutor.sandbox import evaluator

                evaluator.serve(sock, config)
            else:
                from tutor.sandbox import worker

                worker.serve(sock, config)
        except BaseException:  # noqa: BLE001 - a child must never return into the zygote loop
            code = 70
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            os._exit(code)

    def reap(self) -> None:
        """Collect dead children, kill what is left of their groups, report them."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.children.pop(pid, None) is None:
                continue  # an orphaned learner process we adopted as subreaper
            self.caps.pop(pid, None)
            _linux.kill_tree(pid)
            self.sweep_orphans()
            shutil.rmtree(os.path.join(self.workdir, f"w-{pid}"), ignore_errors=True)
            event: dict[str, Any] = {"ev": "exit", "pid": pid}
            if pid in self.killed_for:
                event["reason"] = self.killed_for.pop(pid)
            if os.WIFSIGNALED(status):
                event["signal"] = os.WTERMSIG(status)
            else:
                event["code"] = os.WEXITSTATUS(status)
            try:
                protocol.send_msg(self.sock, event)
            except OSError:
                pass

    def policy(self, config: dict[str, Any]) -> confine.Policy:
        """The confinement policy for a fork with ``config`` (computed once per kind)."""
        private = tuple(sorted(str(p) for p in config.get("private") or ()))
        gpu = str(config.get("device") or "cpu").startswith("cuda")
        key = (private, gpu)
        if key not in self.policies:
            hidden = [*_builtin_lessons(), self.workdir, *private]
            policy = confine.build_policy(hidden, gpu=gpu)
            # The course's data (lesson 14's digits) is read by set-ups: granted read-only
            # inside the hidden lessons folder; no lesson file or solution becomes readable.
            lessons = [*_builtin_lessons(), *(p for p in private if any(Path(p).glob("*.toml")))]
            data = [str(Path(d) / "data") for d in lessons]
            self.policies[key] = confine.with_paths(policy, read=data)
        return self.policies[key]

    def watch(self) -> None:
        """Stop a worker whose folder or process count went past its cap."""
        for pid, (disk, processes) in list(self.caps.items()):
            why = ""
            if len(_linux.descendants(pid, processes + 1)) > processes:
                why = "processes"
            elif _folder_bytes(os.path.join(self.workdir, f"w-{pid}"), disk) > disk:
                why = "disk"
            if why:
                self.killed_for[pid] = why
                del self.caps[pid]
                _linux.kill_tree(pid)

    def sweep_orphans(self) -> None:
        """Kill every process we adopted (a learner's child whose parent died)."""
        for _ in range(5):
            orphans = [p for p in _linux.thread_children(os.getpid()) if p not in self.children]
            if not orphans:
                return
            for pid in orphans:
                _linux.kill_tree(pid)
            self._reap_orphans()

    def _reap_orphans(self) -> None:
        for pid in _linux.thread_children(os.getpid()):
            if pid not in self.children:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def shutdown(self) -> None:
        """Kill every child, their trees and adopted orphans; reap them all.

        The UI normally removes the working directory; if the UI died, nobody
        else will, so the zygote (whose cwd it is) removes it too.
        """
        workdir = os.getcwd()
        if os.path.basename(workdir).startswith("torch-tutor-sandbox-"):
            shutil.rmtree(workdir, ignore_errors=True)
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            for pid in _linux.thread_children(os.getpid()):
                _linux.kill_tree(pid)
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)
            else:
                self.children.pop(pid, None)


_WATCH_EVERY = 0.1  # seconds between looks at the workers' folders and processes


def _builtin_lessons() -> list[str]:
    """The built-in lesson folders (in a checkout and inside the installed package)."""
    import tutor
    from tutor.course.files import builtin_dir

    return [str(builtin_dir()), os.path.join(os.path.dirname(tutor.__file__), "lessons")]


def _folder_bytes(folder: str, cap: int) -> int:
    """Bytes stored under ``folder`` (blocks, so sparse files count as written), stopping
    once past ``cap``; a folder of too many entries counts as past it."""
    total = 0
    entries = 0
    todo = [folder]
    while todo:
        try:
            scan = os.scandir(todo.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                entries += 1
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                if total > cap or entries > 100_000:
                    return cap + 1
    return total


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


def probe_devices(torch: Any) -> dict[str, Any]:
    """Find what devices exist without initialising CUDA here.

    NVML answers without touching CUDA. Where NVML fails, torch would fall back
    to ``cudaGetDeviceCount``, which poisons every later fork; so that question is
    asked in a throwaway child process instead.
    """
    names: list[str] = []
    if torch.cuda._is_compiled():
        nvml_count = getattr(torch.cuda, "_device_count_nvml", lambda: -1)()
        if nvml_count >= 0:
            names = _nvml_names()[:nvml_count] or [""] * nvml_count
        else:
            names = _probe_in_child(torch)
    mps = False
    with contextlib.suppress(Exception):  # absent on some builds
        mps = bool(torch.backends.mps.is_available())
    return {
        "cuda_available": bool(names),
        "gpu_count": len(names),
        "gpu_name": (names[0] or None) if names else None,
        "gpu_names": names,
        "mps_available": mps,
    }


def _probe_in_child(torch: Any) -> list[str]:
    """Ask CUDA for its GPUs in a forked child, which may initialise CUDA and exit."""
    import json

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_end)
            count = int(torch._C._cuda_getDeviceCount())
            found = [torch.cuda.get_device_name(i) for i in range(count)]
            os.write(write_end, json.dumps(found).encode())
        except BaseException:  # noqa: BLE001 - no GPU: an empty answer
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(read_end, 65536):
            data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    try:
        return [str(n) for n in json.loads(data.decode() or "[]")]
    except ValueError:
        return []


def _nvml_names() -> list[str]:
    import ctypes

    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
        if nvml.nvmlInit_v2() != 0:
            return []
    except (OSError, AttributeError):
        return []
    names = []
    try:
        count = ctypes.c_uint(0)
        nvml.nvmlDeviceGetCount_v2(ctypes.byref(count))
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) != 0:
                continue
            buf = ctypes.create_string_buffer(96)
            if nvml.nvmlDeviceGetName(handle, buf, 96) == 0:
                names.append(buf.value.decode("utf-8", "replace"))
    finally:
        nvml.nvmlShutdown()
    return names


def prepare_torch(torch: Any) -> None:
    """What every worker would otherwise pay for itself, done once before any fork.

    ``torch._dynamo``: the first optimizer a process makes imports it (about 1 s, 1.2-2.8 s
    on a loaded machine), so without this every fresh worker (each reference, each variant,
    each rerun from the set-up) paid it on the first ``torch.optim.*``. Importing it starts
    no thread and touches no device: ``check_pristine`` runs after this and reports either.
    One intra-op thread: the course's tensors are small, and on a busy machine torch's
    default pool made a 200-step training loop 20-50 times slower (measured in
    benchmarks/bench_course.py). ``TORCH_TUTOR_THREADS`` sets another number.
    """
    import torch._dynamo  # noqa: F401 - what Optimizer.__init__ imports

    threads = os.environ.get("TORCH_TUTOR_THREADS", "1")
    torch.set_num_threads(max(1, int(threads)) if threads.isdigit() else 1)


def check_pristine(torch: Any) -> tuple[list[str], list[str]]:
    """Return (problems, warnings) about forking from here.

    CUDA initialised is a problem: no fork could use the GPU. Extra threads are
    a warning: they are what a computed tensor op would leave behind (an OpenMP
    pool), but a driver library may start one too.
    """
    problems = ["CUDA was initialised in the zygote"] if torch.cuda.is_initialized() else []
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        threads = 1
    warnings = [f"the zygote has {threads} threads"] if threads != 1 else []
    return problems, warnings


def keep(zygote: int) -> int:
    """The keeper: the zygote's parent, which outlives it to kill whatever it leaves.

    Learner code that kills the zygote (possible where the kernel cannot scope
    signals) would leave the workers and their detached children to init; they
    come to the keeper instead (a child subreaper), which kills them all and
    exits, so the UI sees the sandbox gone and starts a new one.
    """
    signal.signal(signal.SIGTERM, lambda *_: _signal(zygote, signal.SIGTERM))
    status = 0
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == zygote:
            break
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        left = _linux.thread_children(os.getpid())
        if not left:
            break
        for pid in left:
            _linux.kill_tree(pid)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.005)
    return os.waitstatus_to_exitcode(status) if status else 0


def main(argv: list[str]) -> int:
    """Start the zygote: import torch, report readiness, serve forks."""
    fd, ui_pid, preload = int(argv[0]), int(argv[1]), argv[2:]
    # The zygote shares the terminal's process group with the UI, so a Ctrl-C
    # typed there reaches it too; only the UI decides whom to interrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM, not SIGKILL: the zygote must live long enough to kill the
    # workers' process groups (learner child processes) on its way out.
    _linux.die_with_parent(ui_pid, signal.SIGTERM)
    _linux.become_subreaper()
    keeper = os.getpid()
    zygote = os.fork()
    if zygote:
        os.close(fd)
        return keep(zygote)
    _linux.die_with_parent(keeper, signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _linux.become_subreaper()
    _linux.set_dumpable(False)
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)
    os.environ.update(_FORCED_ENV)
    sock = socket.socket(fileno=fd)
    started = time.monotonic()
    import numpy  # noqa: F401 - loaded once here so every fork has it
    import torch

    from tutor.judge import checks  # noqa: F401 - the evaluator's predicates
    from tutor.sandbox import (  # noqa: F401 - preloaded for forks
        _resolve,
        evaluator,
        judgeproc,
        worker,
    )

    for spec in preload:
        _resolve.preload(spec)
    prepare_torch(torch)
    info = probe_devices(torch)
    problems, warnings = check_pristine(torch)
    info.update(
        warnings=warnings,
        ev="ready",
        pid=os.getpid(),
        torch=torch.__version__,
        python=sys.version.split()[0],
        import_s=time.monotonic() - started,
        problems=problems,
    )
    protocol.send_msg(sock, info)
    if problems:
        return 1
    Zygote(sock, ui_pid).loop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
