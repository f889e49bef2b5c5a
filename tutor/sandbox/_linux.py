"""Small Linux process controls: parent-death signal, subreaper, process trees."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_DUMPABLE = 4


def _prctl(option: int, arg: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def die_with_parent(expected_parent: int, sig: int = signal.SIGKILL) -> None:
    """Get ``sig`` when the parent dies; exit now if it is already gone.

    The death signal fires when the parent *thread* that forked us exits, which
    is why the UI spawns the zygote from its long-lived calling thread.
    """
    _prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != expected_parent:
        os._exit(1)


def become_subreaper() -> None:
    """Adopt orphaned descendants, so learner child processes stay ours to reap and kill."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def children_of(pid: int) -> list[int]:
    """Return the pids whose parent is ``pid`` (from /proc; empty where there is none)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields follow the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(name))
    return found


def thread_children(pid: int) -> list[int]:
    """The children of ``pid`` from /proc/PID/task/*/children (cheap; no full /proc scan)."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                found += [int(p) for p in fh.read().split()]
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int, limit: int = 100_000) -> list[int]:
    """Every process below ``pid`` (children, theirs, ...), at most ``limit`` of them."""
    found: list[int] = []
    todo = [pid]
    seen = {pid}
    while todo and len(found) < limit:
        for child in thread_children(todo.pop()):
            if child not in seen:
                seen.add(child)
                found.append(child)
                todo.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its process group and every descendant (those that left the group
    with setsid too). All are stopped first, so none of them forks while the tree is read;
    what a dying process leaves is adopted by the subreaper (the zygote), which sweeps it."""
    for _ in range(5):
        tree = [pid, *descendants(pid)]
        for member in tree:
            _send(member, signal.SIGSTOP)
        tree = [pid, *descendants(pid)]
        for member in tree:
            _send(member, signal.SIGKILL)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if len(tree) == 1:
            return


def _send(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def set_dumpable(on: bool) -> None:
    """Off: other processes of the same user cannot read this one's memory or files
    through /proc or ptrace without CAP_SYS_PTRACE."""
    _prctl(_PR_SET_DUMPABLE, 1 if on else 0)
