"""The shape trace, the loss curve, /plot and /shapes, plt.show() and the elapsed-time line, in a
real pseudo-terminal, in English and Chinese."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, env, leave, send, spawn  # noqa: E402 - after importorskip

MODEL = "model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(64, 10))"


@pytest.fixture(params=["en", "zh"])
def tutor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[pexpect.spawn, str]]:
    lang = request.param
    child = spawn(
        tmp_path / "progress.sqlite3",
        "--lesson",
        "training-loop",
        "--step",
        "train-line",
        "--lang",
        lang,
    )
    child.expect_exact(PROMPT)
    yield child, lang
    leave(child)


def test_a_shape_error_shows_the_trace_and_shapes_shows_it_again(tutor) -> None:
    child, lang = tutor
    send(child, MODEL)
    child.expect_exact(PROMPT)
    send(child, "out = model(torch.randn(64, 784))")
    child.expect("mat1 and mat2 shapes cannot be multiplied")
    child.expect("Shapes, op by op" if lang == "en" else "逐步运算的形状")
    # (the failing row is bold and red: escape codes may stand between its parts)
    child.expect(r"\(64, 784\) → Linear\(784→128\) +→ \(64, 128\)")
    child.expect(r"\(64, 128\) → ReLU +→ \(64, 128\)")
    child.expect(r"\(64, 128\) → ")
    child.expect(r"Linear\(64→10\)")
    child.expect("✗")
    child.expect(("expects" if lang == "en" else "要求") + r" \(\*, 64\)")
    child.expect_exact(PROMPT)
    send(child, "/shapes")
    child.expect(r"Linear\(64→10\)")
    child.expect("✗")
    child.expect_exact(PROMPT)


def test_a_training_input_draws_its_loss_curve_and_plot_draws_any_series(tutor) -> None:
    child, lang = tutor
    send(child, "model = nn.Linear(1, 1); opt = torch.optim.SGD(model.parameters(), lr=0.1)")
    child.expect_exact(PROMPT)
    send(child, "losses = []")
    child.expect_exact(PROMPT)
    for line in (
        "for epoch in range(200):",
        "opt.zero_grad(); loss = nn.MSELoss()(model(x), y); loss.backward(); opt.step()",
        "losses.append(loss.item())",
        "",
    ):
        send(child, line)
    child.expect("losses" + (": 200 values, from" if lang == "en" else "：200 个值，从"))
    child.expect("┌")  # plotext's frame
    child.expect("┘")
    child.expect("Well done" if lang == "en" else "做得好")
    child.expect_exact(PROMPT)


def test_plot_command(tutor) -> None:
    child, lang = tutor
    send(child, "w = torch.linspace(0, 1, 50) ** 2")
    child.expect_exact(PROMPT)
    send(child, "/plot w")
    child.expect("┌")
    child.expect("┘")
    child.expect_exact(PROMPT)
    send(child, "/plot nothing_here")
    child.expect("`?nothing_here`? " + ("is not defined" if lang == "en" else "还没有定义"))
    child.expect_exact(PROMPT)


def test_long_code_shows_its_elapsed_time(tutor) -> None:
    child, lang = tutor
    send(child, "import time; time.sleep(2.5); print('slept')")
    child.expect(r"running… \d s" if lang == "en" else r"运行中…… \d 秒")
    child.expect("slept")
    child.expect_exact(PROMPT)


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="no matplotlib here")
def test_plt_show_saves_and_draws_instead_of_hanging(tmp_path: Path) -> None:
    child = spawn(
        tmp_path / "p.sqlite3",
        "--lesson",
        "training-loop",
        "--step",
        "train-line",
        environ=env(MPLBACKEND="TkAgg"),
    )  # a GUI backend in the environment is overridden
    child.expect_exact(PROMPT)
    send(child, "import matplotlib.pyplot as plt; plt.plot([5, 3, 2, 1.5]); plt.show()")
    child.expect(r"\[plt.show\(\) -> .*figure-1\.png\]")
    child.expect("┌")
    child.expect_exact(PROMPT)
    leave(child)
