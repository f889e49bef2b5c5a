"""`linear-in-out-swapped`: ``nn.Linear(out, in)`` written for ``nn.Linear(in, out)``."""

from __future__ import annotations

from tutor.judge.detectors._case import Case
from tutor.judge.detectors._registry import detector
from tutor.judge.verdict import Feedback


def _weights(values: dict[str, object]) -> dict[str, tuple[int, ...]]:
    """Every 2-D ``.weight`` among the values (a module's state included), by name."""
    found: dict[str, tuple[int, ...]] = {}
    for name, v in values.items():
        shape = getattr(v, "shape", None)
        if name.endswith("weight") and shape is not None and len(shape) == 2:
            found[name] = tuple(shape)
        module = getattr(v, "module", None)
        if module:
            for p in module.get("params", ()):
                if p["name"].endswith("weight") and len(p["shape"]) == 2:
                    found[f"{name}.{p['name']}"] = tuple(p["shape"])
    return found


@detector(
    "linear-in-out-swapped",
    premise=(
        "a 2-D weight (a value, or a module's parameter) has shape (in, out) where the "
        "reference's of the same name is (out, in), in != out"
    ),
    order=240,
    whole=True,
)
def _linear_swapped(case: Case) -> Feedback | None:
    mine, theirs = _weights(dict(case.context)), _weights(dict(case.ref_context))
    for name, shape in mine.items():
        want = theirs.get(name)
        if want is None or shape == want or shape[0] == shape[1]:
            continue
        if shape == (want[1], want[0]):
            out_f, in_f = shape
            return case.say("linear-in-out-swapped", name=name, n_in=in_f, n_out=out_f)
    return None
