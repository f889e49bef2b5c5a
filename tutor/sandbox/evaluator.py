"""The evaluator: a confined fork that runs lesson authors' predicates.

A lesson's ``predicate`` is code from a lesson file, so it runs neither in the
UI nor in the judge: this process confines itself as a worker does (no folder
to write in), never runs learner code, and evaluates each predicate on the
learner's values rebuilt from their snapshot (plain tensors and numbers, not
the learner's objects). The judge gets only the answers: (holds, detail).
"""

from __future__ import annotations

import signal
import socket
from typing import Any

from tutor.judge import snapshot
from tutor.sandbox import protocol


def serve(sock: socket.socket, config: dict[str, Any]) -> None:
    """Answer evaluate requests until the UI closes the channel."""
    from tutor.sandbox.worker import confine_self

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protections = confine_self(config, own_folder=False)
    protocol.send_msg(sock, {"ev": "ready", "nonce": "", "protections": protections})
    while True:
        try:
            msg, fds = protocol.recv_msg_fds(sock)
        except (protocol.ProtocolError, OSError):
            return
        try:
            reply = answer(msg, fds)
        except Exception as exc:  # noqa: BLE001 - a broken request is an answer, not a death
            reply = {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc)}}
        finally:
            protocol._close_all(fds)
        reply["id"] = msg.get("id")
        try:
            protocol.send_msg(sock, reply)
        except OSError:
            return


def answer(msg: dict[str, Any], fds: list[int]) -> dict[str, Any]:
    """Evaluate ``msg["predicates"]`` ([expr, uses] pairs) on the snapshot that came along."""
    from tutor.judge.checker import evaluate

    if msg.get("op") == "ping":
        return {"ok": True}
    values = snapshot.load_fd(fds[0], msg.get("meta") or {}) if fds else {}
    lang = str(msg.get("lang") or "en")
    results = [
        list(evaluate(str(expr), list(uses or ()), values, lang))
        for expr, uses in msg.get("predicates") or ()
    ]
    return {"ok": True, "results": results}
