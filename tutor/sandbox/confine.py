"""Confine a forked sandbox process: Landlock rules, resource limits, a folder of its own.

The zygote computes a ``Policy`` once (what Python, torch and NumPy need to
read, minus the tutor's private files); each fork applies it to itself with
``apply`` before it reads a single request, so no learner code ever runs
unconfined. The worker may write only in its own folder (plus any extra paths
the caller grants, e.g. the folder of a script run with ``run FILE``); the
lessons, the progress store, other workers' folders and the tutor's package
(for writing) are out of reach. ``apply`` returns a report of every
protection, on or off with the reason, for ``doctor`` and ``/env``.
Nothing here imports torch.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tutor.sandbox import landlock

DEFAULT_FILE_MB = 64  # the largest file learner code may write
DEFAULT_DISK_MB = 256  # what the worker's folder may hold in all
DEFAULT_PROCESSES = 64  # learner processes at once, per worker

# Read-only system folders: shared libraries, the dynamic loader's cache, locale data.
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# /proc and /sys: what torch's cpuinfo and NumPy read, and nothing about other processes.
_PROC = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/sys", "/proc/version")
_SYS = ("/sys/devices/system/cpu", "/sys/devices/system/node", "/sys/fs/cgroup")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
_GPU_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/dri")
_GPU_READ = ("/proc/driver/nvidia", "/sys/bus/pci", "/sys/devices", "/sys/module/nvidia")


@dataclass(frozen=True)
class Policy:
    """What a confined process may reach, as real paths (computed once, in the zygote)."""

    read: tuple[str, ...]
    write: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()


def abi_version() -> int:
    """The kernel's Landlock ABI (0: none)."""
    return landlock.abi_version()


def missing_reason() -> str:
    """Why Landlock is unavailable ("" when it is there)."""
    return landlock.missing_reason()


# ---------------------------------------------------------------- the policy (zygote)


def build_policy(
    hidden: Iterable[str],
    extra_read: Iterable[str] = (),
    extra_write: Iterable[str] = (),
    gpu: bool = False,
) -> Policy:
    """The read-only paths Python and torch need, with ``hidden`` carved out of them.

    Landlock rules are allow-lists, so a private path inside a granted folder
    (the lessons inside an installed package) is hidden by granting that
    folder's other entries one by one instead of the folder.
    """
    private = sorted({_real(p) for p in hidden if p})
    roots = [*_SYSTEM, *_prefixes(), *_module_homes(), *_PROC, *_SYS, *extra_read]
    if gpu:
        roots += list(_GPU_READ)
    read: list[str] = []
    seen: set[str] = set()
    for root in _outermost(_real(r) for r in roots if os.path.exists(r)):
        read += _carve(root, private, seen)
    write = tuple(_real(p) for p in extra_write if os.path.exists(p))
    devices = [d for d in _DEVICES if os.path.exists(d)]
    if gpu:
        devices += [d for d in _GPU_DEVICES if os.path.exists(d)]
        devices += _nvidia_nodes()
    return Policy(tuple(read), write, tuple(devices))


def with_paths(policy: Policy, read: Iterable[str] = (), write: Iterable[str] = ()) -> Policy:
    """``policy`` plus more readable or writable paths (``run FILE`` grants its folder)."""
    return Policy(
        policy.read + tuple(_real(p) for p in read if os.path.exists(p)),
        policy.write + tuple(_real(p) for p in write if os.path.exists(p)),
        policy.devices,
    )


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _prefixes() -> list[str]:
    return [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]


def _module_homes() -> list[str]:
    """Where the imported modules live: site-packages, plus packages from PYTHONPATH.

    sys.path entries that are not under a prefix (a checkout put on PYTHONPATH)
    are not granted whole: only the packages imported from them, so a
    checkout's tests, history and lessons stay out of reach.
    """
    homes = [p for p in sys.path if p and os.path.isdir(p) and _under_prefix(p)]
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or _under_prefix(file):
            continue
        try:
            homes += [p for p in list(paths) if isinstance(p, str)] if paths else [file]
        except TypeError:  # torch.ops and friends fake a __path__
            homes.append(file)
    return homes


def _under_prefix(path: str) -> bool:
    real = _real(path)
    return any(_beneath(real, _real(p)) for p in _prefixes())


def _beneath(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie beneath another path of the list."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(_beneath(path, k) for k in kept):
            kept.append(path)
    return kept


def _carve(root: str, private: list[str], seen: set[str]) -> list[str]:
    """``root``, or its entries one by one where a private path lies beneath it."""
    if root in seen:
        return []
    seen.add(root)
    inside = [p for p in private if _beneath(p, root)]
    if not inside:
        return [root]
    if root in inside or not os.path.isdir(root):
        return []
    granted: list[str] = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []
    for entry in entries:
        # A link is granted as what it points at: a link back up must not open the whole tree.
        granted += _carve(_real(entry.path), inside if not entry.is_symlink() else private, seen)
    return granted


def _nvidia_nodes() -> list[str]:
    try:
        return [
            f"/dev/{n}" for n in os.listdir("/dev") if n.startswith("nvidia") and n[6:].isdigit()
        ]
    except OSError:
        return []


# ---------------------------------------------------------------- applying it (each fork)


@dataclass(frozen=True)
class Limits:
    """Resource limits of a confined process."""

    file_mb: int = DEFAULT_FILE_MB
    processes: int = DEFAULT_PROCESSES


def make_folder(workdir: str, name: str) -> str:
    """Create this process's own folder inside the sandbox's working directory."""
    folder = os.path.join(workdir, name)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def apply(
    policy: Policy | None, folder: str | None, limits: Limits, *, landlock_on: bool = True
) -> dict[str, Any]:
    """Confine this process; return {protection: {"on": bool, "detail": str}} and the cost."""
    began = time.perf_counter()
    report: dict[str, Any] = {}
    report["file_size"] = _limit_file_size(limits.file_mb)
    report["process_count"] = _limit_processes(limits.processes)
    if folder is not None:
        os.chdir(folder)
        os.environ["TMPDIR"] = folder
        import tempfile

        tempfile.tempdir = folder
    sys.dont_write_bytecode = True  # the package is read-only: no .pyc attempts
    report.update(_landlock(policy, folder, landlock_on))
    report["cost_ms"] = round((time.perf_counter() - began) * 1000, 3)
    return report


def _on(detail: str = "") -> dict[str, Any]:
    return {"on": True, "detail": detail}


def _off(detail: str) -> dict[str, Any]:
    return {"on": False, "detail": detail}


def _limit_file_size(file_mb: int) -> dict[str, Any]:
    size = file_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        # Past the limit a write then fails with "File too large" instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except (ValueError, OSError) as exc:
        return _off(f"RLIMIT_FSIZE: {exc}")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return _on(f"{file_mb} MiB")


def _limit_processes(count: int) -> dict[str, Any]:
    if os.geteuid() == 0:
        # The kernel does not count root's processes: the zygote's watchdog does it instead.
        return _on(f"{count} (watchdog; RLIMIT_NPROC does not apply to root)")
    allowed = _user_tasks() + count
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (allowed, allowed))
    except (ValueError, OSError) as exc:
        return _on(f"{count} (watchdog; RLIMIT_NPROC: {exc})")
    return _on(f"{count} (RLIMIT_NPROC and watchdog)")


def _user_tasks() -> int:
    """Processes and threads of this user now (what RLIMIT_NPROC counts)."""
    uid = os.getuid()
    total = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 256
    for name in names:
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid == uid:
                total += len(os.listdir(f"/proc/{name}/task"))
        except OSError:
            continue
    return total


def _landlock(policy: Policy | None, folder: str | None, wanted: bool) -> dict[str, Any]:
    keys = ("files", "processes_outside", "signals")
    abi, why = landlock.abi_version(), landlock.missing_reason()
    if not wanted:
        why = "not asked for"
    if policy is None or abi == 0 or not wanted:
        return {key: _off(why or "no policy") for key in keys}
    ruleset = landlock.Ruleset(abi)
    for path in policy.read:
        ruleset.allow(path, landlock.READ)
    for path in policy.devices:
        ruleset.allow(
            path, landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE | landlock.IOCTL_DEV
        )
    for path in (*policy.write, *([folder] if folder else [])):
        ruleset.allow(path, landlock.READ | landlock.WRITE)
    # The process's own /proc entry (its limits, maps, status); not its parents'.
    ruleset.allow(f"/proc/{os.getpid()}", landlock.READ_FILE | landlock.READ_DIR)
    try:
        ruleset.restrict()
    except OSError as exc:
        return {key: _off(f"Landlock refused: {exc}") for key in keys}
    dropped = ", ".join(ruleset.dropped)
    files = f"Landlock ABI {abi}" + (f"; this kernel cannot enforce {dropped}" if dropped else "")
    report = {"files": _on(files), "processes_outside": _on(f"Landlock ABI {abi}")}
    report["signals"] = _on(f"Landlock ABI {abi}") if abi >= 6 else _off(f"Landlock ABI {abi} < 6")
    return report
