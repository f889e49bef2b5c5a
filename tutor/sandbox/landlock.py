"""Landlock through ctypes: three system calls and two structures, nothing else.

Landlock (Linux >= 5.13, unprivileged) lets a process give up access rights for
itself and every process it starts. ``Ruleset`` collects the rights to keep
beneath some paths; ``restrict()`` makes everything else unreachable, for good.
What a kernel supports grows with its ABI version (see ``abi_version``): ABI 2
adds file renames across folders (REFER), 3 truncation, 5 device ioctls, 6 the
scoping of signals and abstract UNIX sockets. Rights the kernel lacks are left
out, and ``Ruleset.dropped`` names them.

Why not a library: the layer is this file; the bindings on PyPI were months
old when this was written, and the tutor needs to report per ABI which
protection is on, which none of them offers. Nothing here imports torch.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys
from dataclasses import dataclass, field

# Syscall numbers are shared by every architecture since Linux 5.1 (alpha aside).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

READ = READ_FILE | READ_DIR | EXECUTE
WRITE = (
    WRITE_FILE
    | REMOVE_DIR
    | REMOVE_FILE
    | MAKE_DIR
    | MAKE_REG
    | MAKE_SOCK
    | MAKE_FIFO
    | MAKE_SYM
    | REFER
    | TRUNCATE
)
# Rights that make sense on a file (not a folder); others on a file are EINVAL.
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
_NAMES = {
    REFER: "REFER (ABI 2)",
    TRUNCATE: "TRUNCATE (ABI 3)",
    IOCTL_DEV: "IOCTL_DEV (ABI 5)",
}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    """The kernel refused to build or apply a ruleset."""


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def _call(number: int, *args: object) -> int:
    assert _LIBC is not None
    result = int(_LIBC.syscall(ctypes.c_long(number), *args))
    if result < 0:
        code = ctypes.get_errno()
        raise LandlockError(code, os.strerror(code))
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 where there is none."""
    return _probe()[0]


def missing_reason() -> str:
    """Why Landlock cannot be used here ("" when it can)."""
    return _probe()[1]


def _probe() -> tuple[int, str]:
    if os.environ.get("TORCH_TUTOR_NO_LANDLOCK"):
        return 0, "switched off by TORCH_TUTOR_NO_LANDLOCK"
    if not sys.platform.startswith("linux"):
        return 0, f"{platform.system() or sys.platform} has no Landlock (a Linux feature)"
    if _LIBC is None:
        return 0, "the C library could not be loaded"
    try:
        return _call(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION), ""
    except LandlockError as exc:
        if exc.errno == errno.ENOSYS:
            why = f"the kernel ({platform.release()}) has no Landlock; it needs Linux 5.13 or later"
        elif exc.errno == errno.EOPNOTSUPP:
            why = "Landlock is built into the kernel but not enabled (the lsm= boot parameter)"
        else:
            why = f"the kernel refused it ({os.strerror(exc.errno or 0)}; a container's seccomp?)"
        return 0, why


def handled_rights(abi: int) -> int:
    """Every file-system right the given ABI knows."""
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


@dataclass
class Ruleset:
    """Rights kept beneath paths; everything else is denied once ``restrict`` runs."""

    abi: int
    scoped: bool = True  # ABI >= 6: no signals or abstract sockets out of the domain
    rules: list[tuple[int, int]] = field(default_factory=list)  # (fd, rights)
    missing: list[str] = field(default_factory=list)  # paths that could not be opened

    @property
    def handled(self) -> int:
        return handled_rights(self.abi)

    @property
    def dropped(self) -> list[str]:
        """Rights this kernel cannot enforce."""
        return [name for bit, name in _NAMES.items() if not self.handled & bit]

    def allow(self, path: str, rights: int) -> None:
        """Keep ``rights`` beneath ``path`` (a folder) or on it (a file)."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            self.missing.append(path)
            return
        self.allow_fd(fd, rights)

    def allow_fd(self, fd: int, rights: int) -> None:
        """Like ``allow``, for a path already opened with O_PATH (the fd is closed later)."""
        import stat

        mode = os.fstat(fd).st_mode
        if not stat.S_ISDIR(mode):
            rights &= _FILE_RIGHTS
        self.rules.append((fd, rights & self.handled))

    def restrict(self) -> None:
        """Apply the rules to this process (and all it starts); close the rule fds."""
        try:
            attr = _RulesetAttr(self.handled, 0, self._scopes())
            ruleset = _call(
                _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(self._attr_size()), 0
            )
            try:
                for fd, rights in self.rules:
                    if rights:
                        beneath = _PathBeneath(rights, fd)
                        _call(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(beneath), 0)
                assert _LIBC is not None
                if _LIBC.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                    code = ctypes.get_errno()
                    raise LandlockError(code, os.strerror(code))
                _call(_RESTRICT_SELF, ruleset, 0)
            finally:
                os.close(ruleset)
        finally:
            self.close()

    def close(self) -> None:
        for fd, _ in self.rules:
            try:
                os.close(fd)
            except OSError:
                pass
        self.rules = []

    def _scopes(self) -> int:
        return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if self.scoped and self.abi >= 6 else 0

    def _attr_size(self) -> int:
        # Older kernels reject a structure larger than they know unless the tail is zero;
        # give each the size of its own ABI.
        if self.abi >= 6:
            return ctypes.sizeof(_RulesetAttr)
        return 16 if self.abi >= 4 else 8
