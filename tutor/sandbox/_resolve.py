"""Find a function from a ``module:function`` or ``path/to/file.py:function`` spec."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any


def resolve(spec: str) -> Callable[..., Any]:
    """Import and return the function named by ``spec``."""
    module_name, _, func = spec.rpartition(":")
    if not module_name or not func:
        raise ValueError(f"expected 'module:function', got {spec!r}")
    found: Callable[..., Any] = getattr(load_module(module_name), func)
    return found


def load_module(name: str) -> Any:
    """Import a module by dotted name, or load it from a ``.py`` path."""
    if not name.endswith(".py"):
        return importlib.import_module(name)
    key = "_tutor_plugin_" + str(abs(hash(name)))
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, name)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def preload(spec: str) -> None:
    """Import the module behind ``spec`` now if it exists; failures wait for first use."""
    # A missing plugin is reported when it is used, not here.
    with contextlib.suppress(Exception):
        load_module(spec.rpartition(":")[0])
