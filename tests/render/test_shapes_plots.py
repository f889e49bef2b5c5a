"""The shape trace and the terminal plots as the learner reads them (en, zh)."""

from __future__ import annotations

import math

import torch
from rich.console import Console
from torch import nn

from tutor.render import plots
from tutor.render.shapes import shape_trace
from tutor.sandbox.shapetrace import Recorder


def _said(renderable) -> str:
    console = Console(width=100, no_color=True, force_terminal=False)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def _trace(code: str, run) -> dict:
    recorder = Recorder()
    recorder.install()
    recorder.start(code)
    try:
        with recorder.mode():
            run()
    except RuntimeError:
        pass
    recorder.stop()
    return recorder.entries({"x": X})


X = torch.randn(64, 784)


def test_the_first_failing_layer_is_marked_with_what_it_expects():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(64, 10))
    data = _trace("out = model(x)", lambda: model(X))
    text = _said(shape_trace(data, "en"))
    assert "x (64, 784)" in text
    assert "(64, 784) → Linear(784→128) → (64, 128)" in text
    assert "(64, 128) → Linear(64→10)   ✗ expects (*, 64)" in text
    assert "要求 (*, 64)" in _said(shape_trace(data, "zh"))


def test_a_model_of_the_learners_own_class_shows_its_layers_and_functions():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(784, 128), nn.Linear(100, 10)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    net = Net()
    data = _trace("net(x.view(64, -1))", lambda: net(X.view(64, -1)))
    ops = [e["op"] for e in data["entries"]]
    assert ops == ["view", "Linear(784→128)", "relu", "Linear(100→10)"]
    assert data["entries"][-1]["error"] and data["entries"][-1]["expects"] == "(*, 100)"


def test_a_loop_records_layers_only():
    layer = nn.Linear(784, 10)
    data = _trace("for _ in range(2):\n    layer(x)", lambda: [layer(X) for _ in range(2)])
    assert [e["op"] for e in data["entries"]] == ["Linear(784→10)", "Linear(784→10)"]


def test_plot_draws_axes_and_skips_what_is_not_finite():
    text = _said(plots.plot([5 * math.exp(-i / 20) for i in range(200)], "losses", "en"))
    assert "┌" in text and "┘" in text and "losses" in text and "step" in text
    assert "步" in _said(plots.plot([1.0, 2.0, 3.0], "w", "zh"))
    assert "nothing to plot" in _said(plots.plot([float("nan"), 1.0], "bad", "en"))
    xs, ys = plots.thin(list(range(10_000)))
    assert len(xs) <= plots.MAX_POINTS + 1 and xs[-1] == 10_000.0
