"""Learner-facing sandbox messages in English and Chinese."""

from __future__ import annotations

import signal

_TEXT: dict[str, dict[str, str]] = {
    "timeout": {
        "en": "Stopped: the code ran longer than the time limit of {seconds:g} s.",
        "zh": "已停止：代码运行超过了 {seconds:g} 秒的时间限制。",
    },
    "interrupted": {
        "en": "Interrupted (Ctrl-C).",
        "zh": "已中断（Ctrl-C）。",
    },
    "memory": {
        "en": "Out of memory: the code asked for more memory than allowed ({limit}).{detail}",
        "zh": "内存不足：代码申请的内存超过了允许的上限（{limit}）。{detail}",
    },
    "memory_detail": {
        "en": " It tried to allocate {size} at once.",
        "zh": "它试图一次分配 {size}。",
    },
    "crashed": {
        "en": "The Python process running your code crashed ({cause}).",
        "zh": "运行代码的 Python 进程崩溃了（{cause}）。",
    },
    "exited": {
        "en": "The code exited with code {code}.",
        "zh": "代码以退出码 {code} 退出。",
    },
    "killed": {
        "en": "The Python process running your code was killed from outside ({cause}).",
        "zh": "运行代码的 Python 进程被外部终止了（{cause}）。",
    },
    "lost": {
        "en": "The Python process running your code stopped answering.",
        "zh": "运行代码的 Python 进程停止了响应。",
    },
    "restarted": {
        "en": "A fresh Python process took over; your earlier code was run again, "
        "so nothing was lost.",
        "zh": "已换用新的 Python 进程，并重新运行了你之前的代码，没有丢失任何内容。",
    },
    "replay_failed": {
        "en": "A fresh Python process took over, but replaying your earlier code stopped at a "
        "piece that now fails ({outcome}); variables defined after it are gone.",
        "zh": "已换用新的 Python 进程，但重新运行之前的代码时有一段失败了（{outcome}）；"
        "其后定义的变量已丢失。",
    },
    "output_cut": {
        "en": "[output cut: more than {lines} lines or {kb} KB; the rest was not shown]",
        "zh": "[输出已截断：超过 {lines} 行或 {kb} KB，其余部分未显示]",
    },
    "zygote_stopped": {
        "en": "The sandbox's PyTorch process was stopped (SIGSTOP, most likely by the code) and "
        "has been replaced.",
        "zh": "沙箱中的 PyTorch 进程被暂停了（SIGSTOP，多半是代码所为），已换用新的进程。",
    },
    "zygote_killed": {
        "en": "The sandbox's PyTorch process was killed (most likely by the code) and has been "
        "replaced; every process it had started was stopped.",
        "zh": "沙箱中的 PyTorch 进程被终止了（多半是代码所为），已换用新的进程；"
        "它启动过的所有进程都已结束。",
    },
    "disk": {
        "en": "Stopped: the code stored more than {mb} MB of files in its folder.",
        "zh": "已停止：代码在它的文件夹里写入了超过 {mb} MB 的文件。",
    },
    "processes": {
        "en": "Stopped: the code started more than {count} processes at once.",
        "zh": "已停止：代码同时启动了超过 {count} 个进程。",
    },
    "recursion": {
        "en": "Too deep recursion: a function kept calling itself ({message}).",
        "zh": "递归太深：函数一直在调用自身（{message}）。",
    },
}

_SIGNAL_NAMES: dict[int, dict[str, str]] = {
    signal.SIGSEGV: {"en": "segmentation fault", "zh": "段错误"},
    signal.SIGABRT: {"en": "aborted", "zh": "异常中止"},
    signal.SIGBUS: {"en": "bus error", "zh": "总线错误"},
    signal.SIGFPE: {"en": "floating-point exception", "zh": "浮点异常"},
    signal.SIGILL: {"en": "illegal instruction", "zh": "非法指令"},
    signal.SIGKILL: {"en": "SIGKILL", "zh": "SIGKILL"},
    signal.SIGTERM: {"en": "SIGTERM", "zh": "SIGTERM"},
}

CRASH_SIGNALS = frozenset(
    {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSYS}
)


def text(key: str, lang: str = "en", **fields: object) -> str:
    """Return the message ``key`` in ``lang`` (English when missing), formatted."""
    entry = _TEXT[key]
    return entry.get(lang, entry["en"]).format(**fields)


def signal_name(signum: int, lang: str = "en") -> str:
    """Name a signal in words, e.g. 'segmentation fault'."""
    names = _SIGNAL_NAMES.get(signum)
    if names:
        return names.get(lang, names["en"])
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def size_words(nbytes: int) -> str:
    """Format a byte count for people: 372.5 GB, 40.0 MB."""
    value = float(nbytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{nbytes} bytes"


# The protections `doctor` and `/env` list, in order: (key, English name, Chinese name).
PROTECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "files",
        "files: only Python, torch and the worker's own folder",
        "文件：只能访问 Python、torch 和自己的文件夹",
    ),
    (
        "processes_outside",
        "no access to other processes (ptrace, pidfd_getfd, /proc/PID/mem)",
        "无法访问其他进程（ptrace、pidfd_getfd、/proc/PID/mem）",
    ),
    (
        "signals",
        "no signals or abstract sockets to the tutor, zygote or judge",
        "无法向导师、zygote 或评判进程发送信号或连接抽象套接字",
    ),
    ("file_size", "largest file written", "单个文件的大小上限"),
    ("disk", "the worker's folder holds at most", "工作文件夹的容量上限"),
    ("process_count", "processes at once", "同时运行的进程数上限"),
    ("memory", "memory", "内存上限"),
    (
        "snapshot",
        "values read as plain data, no learner code runs",
        "以纯数据读取变量，不运行学习者代码",
    ),
    (
        "references",
        "reference values only in the judge's memory",
        "参考答案的值只保存在评判进程的内存中",
    ),
    ("predicates", "lesson conditions run in a confined process", "课程中的条件在受限进程中运行"),
)

_STATE = {
    "on": {"en": "on", "zh": "开启"},
    "off": {"en": "off", "zh": "关闭"},
}


def protection_name(key: str, lang: str = "en") -> str:
    """A protection's name in words."""
    for k, en, zh in PROTECTIONS:
        if k == key:
            return zh if lang == "zh" else en
    return key


def state_word(on: bool, lang: str = "en") -> str:
    """ "on" or "off" in ``lang``."""
    return _STATE["on" if on else "off"].get(lang, _STATE["on" if on else "off"]["en"])
