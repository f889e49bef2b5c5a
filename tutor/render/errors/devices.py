"""Devices: tensors on two devices in one operation, NumPy from a GPU tensor.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _r, explains


@explains(
    "numpy-gpu",
    _r(r"can't convert (?P<device>[\w:]+) device type tensor to numpy"),
    order=120,
    receiver="numpy",
)
def _numpy_gpu(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    dev = m["device"]
    text = Msg("errors.numpy_gpu", dev=dev)
    return text, None


@explains(
    "device-mismatch",
    _r(
        r"Expected all tensors to be on the same device, but found at least two "
        r"devices, (?P<d1>[\w:]+) and (?P<d2>[\w:]+)"
    ),
    _r(
        r"Expected all tensors to be on the same device, but got \w+ is on "
        r"(?P<d1>[\w:]+), different from other tensors on (?P<d2>[\w:]+)"
    ),
    _r(r"Expected all tensors to be on the same device"),
    _r(
        r"Tensor on device (?P<d1>[\w:]+) is not on the expected device "
        r"(?P<d2>[\w:]+)"
    ),
    _r(
        r"Expected object of device type (?P<d1>\w+) but got device type "
        r"(?P<d2>\w+)"
    ),
    order=160,
)
def _device(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    devices = [d for d in (m.groupdict().get("d1"), m.groupdict().get("d2")) if d]
    both = Msg("errors.device_one", a=devices[0]) if devices else Msg("errors.device_unknown")
    if len(devices) == 2:
        both = Msg("errors.device_pair", a=devices[0], b=devices[1])
    text = Msg("errors.device", both=both)
    return text, None
