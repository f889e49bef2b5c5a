"""``torch-tutor run FILE ARGS``: a learner's script run as ``python FILE ARGS`` runs it.

The UI side (no torch): the script runs in a fresh sandbox worker with its
folder as working directory, ``sys.argv`` = [FILE, ARGS...], its own
``__main__``, this process's standard input, and stdout and stderr kept apart.
What differs from Python is only what the sandbox adds: its limits (time,
memory, output), a note on stderr when one of them stopped the script, and
tracebacks that leave out frames of library code.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.sandbox import RunResult, Sandbox

NOTE_PREFIX = "torch-tutor: "
# POSIX shared memory: multiprocessing's locks and queues (sem_open) and torch's tensors
# shared with DataLoader workers live there. A script run, the user's own program run on
# request with no check to fool, gets it as `python FILE` has it; the prompt does not.
SHARED_MEMORY = "/dev/shm"


def writable_paths(path: str) -> list[str]:
    """What the sandbox must let a run of the script at ``path`` read and write: its folder
    (its working directory) and POSIX shared memory."""
    folder = os.path.dirname(os.path.abspath(path))
    return [folder] + ([SHARED_MEMORY] if os.path.isdir(SHARED_MEMORY) else [])


def run_file(
    sandbox: Sandbox,
    path: str,
    args: list[str],
    *,
    stdin: int,
    out: Callable[[str], None],
    err: Callable[[str], None],
) -> int:
    """Run the script at ``path`` (as given on the command line); return its exit status.

    ``stdin`` is the file descriptor the script reads (a terminal is relayed
    through a pipe, so the sandboxed process never holds the terminal itself).
    """
    with _script_stdin(stdin) as fd:
        result = sandbox.run_script(path, [path, *args], stdin=fd, on_output=out, on_error=err)
    note = stop_note(result)
    if note:
        err(("" if result.errors.endswith("\n") or not result.errors else "\n") + note + "\n")
    return exit_status(result)


def stop_note(result: RunResult) -> str:
    """Why the sandbox stopped the script (a limit, a crash), in the sandbox's language, or ""
    when it ended by itself."""
    if result.outcome in ("ok", "error", "exited") or result.error is None:
        return ""
    if result.outcome == "interrupted" and result.exit_code == 130:
        return ""  # Ctrl-C: the KeyboardInterrupt traceback says it, as in Python
    return NOTE_PREFIX + result.error.message


def exit_status(result: RunResult) -> int:
    """The status ``python FILE`` would exit with; 1 when a limit stopped the script."""
    if result.exit_code is not None:
        return int(result.exit_code)
    return 1


@contextlib.contextmanager
def _script_stdin(fd: int) -> Iterator[int]:
    """``fd`` itself for a file or a pipe; for a terminal, a pipe fed from it by a thread."""
    if not _is_terminal(fd):
        yield fd
        return
    read_end, write_end = os.pipe()
    relay = threading.Thread(target=_relay, args=(fd, write_end), daemon=True)
    relay.start()
    try:
        yield read_end
    finally:
        os.close(read_end)


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _relay(source: int, target: int) -> None:
    # Lines typed at the terminal go on to the script until Ctrl-D (or the script is gone).
    with contextlib.suppress(OSError):
        while data := os.read(source, 65536):
            os.write(target, data)
    with contextlib.suppress(OSError):
        os.close(target)


def stdin_fd(stream: Any) -> int:
    """The file descriptor under ``stream`` (the null device when it has none)."""
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return os.open(os.devnull, os.O_RDONLY)


def writer(stream: Any) -> Callable[[str], None]:
    """Write the script's text to ``stream`` as it arrives (bytes as the script wrote them,
    UTF-8)."""
    raw = getattr(stream, "buffer", None)

    def write(text: str) -> None:
        if raw is not None:
            stream.flush()
            raw.write(text.encode("utf-8", "replace"))
            raw.flush()
        else:
            stream.write(text)
            stream.flush()

    return write


__all__ = [
    "NOTE_PREFIX",
    "SHARED_MEMORY",
    "exit_status",
    "run_file",
    "stdin_fd",
    "stop_note",
    "writable_paths",
    "writer",
]
