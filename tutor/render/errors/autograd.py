"""Autograd: integer tensors with grad, NumPy from a graph, `backward` misuse, in-place leaves.

One family of error explanations: each ``@explains`` function turns a torch message into words."""

from __future__ import annotations

import re
from typing import Any

from tutor.i18n import Msg
from tutor.render.errors._registry import _r, explains


@explains(
    "requires-grad-int",
    _r(r"only Tensors of floating point.*dtype can require gradients"),
    order=100,
)
def _requires_grad_int(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.requires_grad_int")
    return text, None


@explains(
    "grad-assign-type",
    _r(r"assigned grad expected to be a Tensor or None but got grad of type (\w+)"),
    order=105,
)
def _grad_assign(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    return Msg("errors.grad_assign", got=m.group(1)), None


@explains(
    "numpy-requires-grad",
    _r(r"Can't call numpy\(\) on Tensor that requires grad"),
    order=110,
    receiver="numpy",
)
def _numpy_grad(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.numpy_grad")
    return text, None


@explains(
    "backward-non-scalar",
    _r(r"grad can be implicitly created only for scalar outputs"),
    order=130,
)
def _backward_scalar(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.backward_scalar")
    return text, None


@explains(
    "backward-twice",
    _r(r"backward through the graph a second time"),
    order=140,
)
def _backward_twice(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.backward_twice")
    return text, None


@explains(
    "inplace-leaf",
    _r(r"leaf Variable that requires grad (is being|has been) used in an in-place"),
    order=150,
)
def _inplace_leaf(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.inplace_leaf")
    return text, None


@explains(
    "backward-no-grad",
    _r(r"does not require grad and does not have a grad_fn"),
    order=250,
)
def _backward_no_grad(m: re.Match[str]) -> tuple[Msg, dict[str, Any] | None]:
    text = Msg("errors.backward_no_grad")
    return text, None
