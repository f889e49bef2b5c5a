"""The judge process: a pristine fork of the zygote that never runs learner code.

It answers ``{"op": "judge", "request": ...}`` with the configured handler
(``tutor.judge.handler:handle`` by default). Snapshots reach it as file
descriptors with their JSON description (``"held"`` in the message) and are
rebuilt from plain bytes; a reference snapshot is sent once (``{"op": "hold"}``)
and kept in this process's memory under a token, so reference values exist in
no file any worker could open. The process confines itself like a worker,
without a folder to write in.
"""

from __future__ import annotations

import signal
import socket
import traceback
from typing import Any

from tutor.judge import snapshot
from tutor.sandbox import _linux, protocol
from tutor.sandbox._resolve import resolve


def serve(sock: socket.socket, config: dict[str, Any]) -> None:
    """Answer judge requests until the UI closes the channel."""
    from tutor.sandbox.worker import confine_self

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _linux.set_dumpable(False)  # its memory holds the reference values
    spec = config.get("handler") or "tutor.judge.handler:handle"
    protections = confine_self(config, own_folder=False)
    protocol.send_msg(sock, {"ev": "ready", "nonce": "", "protections": protections})
    while True:
        try:
            msg, fds = protocol.recv_msg_fds(sock)
        except (protocol.ProtocolError, OSError):
            return
        try:
            reply = _answer(spec, msg, fds)
        finally:
            protocol._close_all(fds)
        reply["id"] = msg.get("id")
        try:
            protocol.send_msg(sock, reply)
        except OSError:
            return


def receive(msg: dict[str, Any], fds: list[int]) -> list[str]:
    """Hold the snapshots that came with ``msg``; return their tokens."""
    tokens = []
    for index, item in enumerate(msg.get("held") or ()):
        token = str(item["token"])
        snapshot.hold(token, snapshot.load_fd(fds[index], item.get("meta") or {}))
        tokens.append(token)
    return tokens


def _answer(spec: str, msg: dict[str, Any], fds: list[int]) -> dict[str, Any]:
    op = msg.get("op")
    if op == "ping":
        return {"ok": True}
    once: list[str] = []
    try:
        held = receive(msg, fds)
        if op == "hold":
            return {"ok": True}
        if op == "drop":
            for token in msg.get("tokens") or ():
                snapshot.drop(str(token))
            return {"ok": True}
        once = held  # a learner's snapshot lives for one request
        handler = resolve(spec)
        return {"ok": True, "answer": handler(msg.get("request"))}
    except Exception as exc:  # noqa: BLE001 - a handler bug becomes an answer, not a dead judge
        return {
            "ok": False,
            "error": {
                "type": type(exc).__name__,
                "message": str(exc),
                "traceback": traceback.format_exc(),
            },
        }
    finally:
        for token in once:
            snapshot.drop(token)
