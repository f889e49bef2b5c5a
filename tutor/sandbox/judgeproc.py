"""The judge process: a pristine fork of the zygote that never runs learner code.

It answers ``{"op": "judge", "request": ...}`` with the configured handler
(``tutor.judge.handler:handle`` by default), which loads snapshots with
``torch.load(weights_only=True)`` and compares them. Learner code cannot reach
this process, so monkeypatching in the worker cannot change a verdict.
"""

from __future__ import annotations

import signal
import socket
import traceback
from typing import Any

from tutor.sandbox import protocol
from tutor.sandbox._resolve import resolve


def serve(sock: socket.socket, config: dict[str, Any]) -> None:
    """Answer judge requests until the UI closes the channel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = config.get("handler") or "tutor.judge.handler:handle"
    protocol.send_msg(sock, {"ev": "ready", "nonce": ""})
    while True:
        try:
            msg = protocol.recv_msg(sock)
        except (protocol.ProtocolError, OSError):
            return
        reply = _answer(spec, msg)
        reply["id"] = msg.get("id")
        try:
            protocol.send_msg(sock, reply)
        except OSError:
            return


def _answer(spec: str, msg: dict[str, Any]) -> dict[str, Any]:
    if msg.get("op") == "ping":
        return {"ok": True}
    try:
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
