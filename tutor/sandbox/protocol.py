"""Length-prefixed JSON messages over Unix sockets, with optional file descriptors.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON. File descriptors ride as SCM_RIGHTS ancillary data on the first byte of
a frame, so the reader collects them while reading the header. Nothing here
imports torch: both sides of the sandbox use this module.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # a reply bigger than this is a broken or hostile peer
_MAX_FDS = 4

# Bound at import so learner code that patches json or builtins in a worker
# cannot change how the worker talks to the UI.
_dumps = json.dumps
_loads = json.loads


class ProtocolError(Exception):
    """The peer closed the channel or sent something that is not a valid frame."""


def encode(obj: Any) -> bytes:
    """Return one frame holding ``obj`` as JSON."""
    body = _dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def send_msg(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    """Send ``obj`` as one frame, passing ``fds`` along with it."""
    frame = encode(obj)
    if fds:
        sent = sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, _pack_fds(fds))])
        frame = frame[sent:]
    if frame:
        sock.sendall(frame)


def recv_msg(sock: socket.socket) -> Any:
    """Read one frame; raise ProtocolError at EOF or on a malformed frame."""
    return recv_msg_fds(sock)[0]


def recv_msg_fds(sock: socket.socket) -> tuple[Any, list[int]]:
    """Read one frame and the file descriptors that came with it."""
    fds: list[int] = []
    header = b""
    while len(header) < _HEADER.size:
        chunk, got, _flags, _addr = socket.recv_fds(sock, _HEADER.size - len(header), _MAX_FDS)
        if not chunk:
            _close_all(fds + got)
            raise ProtocolError("channel closed")
        header += chunk
        fds.extend(got)
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        _close_all(fds)
        raise ProtocolError(f"frame too large ({length} bytes)")
    body = _recv_exact(sock, length, fds)
    try:
        return _loads(body.decode("utf-8")), fds
    except (UnicodeDecodeError, ValueError) as exc:
        _close_all(fds)
        raise ProtocolError(f"malformed frame: {exc}") from None


def _recv_exact(sock: socket.socket, n: int, fds: list[int]) -> bytes:
    parts: list[bytes] = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            _close_all(fds)
            raise ProtocolError("channel closed in the middle of a frame")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _pack_fds(fds: list[int]) -> bytes:
    return struct.pack(f"{len(fds)}i", *fds)


def _close_all(fds: list[int]) -> None:
    import os

    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
