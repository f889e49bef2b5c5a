"""The HTML handout in a real browser: themes, print, and CJK that lines up (tutor.render.handout).

The browser tests need Chromium from the system packages (``apt-get install chromium
fonts-noto-cjk poppler-utils`` on Debian/Ubuntu; .ci/run installs them where it can)
and skip, saying so, where it is absent. ``TUTOR_HANDOUT_SHOTS=DIR`` keeps the
screenshots (en and zh, dark and light, screen and print) in DIR.
"""

from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.terminal_theme import MONOKAI

from tests import browser
from tutor.course import load_course
from tutor.course.files import course_dirs
from tutor.judge.verdict import Check, Verdict
from tutor.render import chat, handout, theme
from tutor.session.transcript import Recorder
from tutor.session.ui import PlainUI, make_console


@pytest.fixture(autouse=True)
def _dark_again() -> Iterator[None]:
    yield
    theme.use("dark")


def _page(tmp: Path, lang: str, name: str) -> Path:
    """A handout holding a step panel (Chinese lines of different lengths) and a verdict."""
    theme.use(name)
    lessons, _ = load_course(course_dirs())
    lesson = next(les for les in lessons if les.id == "creating-tensors")
    step = lesson.step("zeros-ones")
    rec = Recorder(PlainUI(make_console(io.StringIO(), width=72, plain=True)), lang=lang)
    rec.show(chat.step_panel(lesson, step, lang))
    checks = (Check("z.shape", False, "(2, 3)", "(3, 2)"), Check("z.dtype", True, "f", "f"))
    rec.show(chat.verdict(Verdict(False, checks), lang))
    path = tmp / f"{lang}-{name}.html"
    path.write_text(rec.html(), encoding="utf-8")
    return path


# ---------------------------------------------------------------- without a browser


def test_the_page_names_cjk_monospace_fonts_and_boxes_wide_characters(tmp_path: Path) -> None:
    body = _page(tmp_path, "zh", "dark").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in body and "Noto Sans Mono CJK SC" in body
    assert body.index("DejaVu Sans Mono") < body.index("Noto Sans Mono CJK SC")
    assert '<span class="w">创</span>' in body  # each wide character in a two-cell box
    assert "@media print" in body


def test_colours_for_paper_are_dark_text_on_light_backgrounds() -> None:
    def lightness(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return (max(r, g, b) + min(r, g, b)) / 510

    assert lightness(handout.for_paper("#f8f8f2", False, dark_theme=True)) < 0.2  # monokai text
    assert lightness(handout.for_paper("#272822", True, dark_theme=True)) > 0.85  # its background
    assert lightness(handout.for_paper("#e6db74", False, dark_theme=True)) <= 0.42
    assert handout.for_paper("#181818", False, dark_theme=False) == "#181818"


def test_a_light_handout_is_a_white_page() -> None:
    rec = Recorder(PlainUI(make_console(io.StringIO(), width=40, plain=True)))
    theme.use("light")
    rec.show(chat.code("x = 1"))
    body = rec.html()
    assert "background-color: #ffffff" in body and "#f8f8f2" not in body


# ---------------------------------------------------------------- in Chromium

needs_chromium = pytest.mark.skipif(
    browser.chromium() is None,
    reason=f"Chromium is not installed (Debian/Ubuntu: {browser.INSTALL})",
)


def _keep(png: Path, name: str) -> None:
    folder = os.environ.get("TUTOR_HANDOUT_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(folder) / name)


@needs_chromium
def test_a_panels_right_border_lines_up_in_english_and_chinese(tmp_path: Path) -> None:
    cyan = MONOKAI.ansi_colors[6]
    edges = {}
    for lang in ("en", "zh"):
        png = tmp_path / f"{lang}.png"
        browser.screenshot(_page(tmp_path, lang, "dark"), png, width=760, height=330)
        _keep(png, f"{lang}-dark-screen.png")
        xs = browser.right_border(browser.read_png(png), (cyan.red, cyan.green, cyan.blue))
        assert len(xs) > 40, f"{lang}: the panel's border was not found"
        edge, _ = Counter(xs).most_common(1)[0]
        off = [x for x in xs if abs(x - edge) > 2]
        assert not off, f"{lang}: the right border wanders: {sorted(Counter(xs).items())}"
        edges[lang] = edge
    assert abs(edges["en"] - edges["zh"]) <= 2, edges  # the same 72 cells wide in both


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["dark", "light"])
def test_the_handout_prints_as_a_white_page(tmp_path: Path, lang: str, name: str) -> None:
    page = _page(tmp_path, lang, name)
    shot = tmp_path / "screen.png"
    browser.screenshot(page, shot, width=760, height=330)
    _keep(shot, f"{lang}-{name}-screen.png")
    background = browser.read_png(shot)[5][5]
    assert (sum(background) < 120) == (name == "dark"), background
    pdf = tmp_path / "page.pdf"
    browser.print_pdf(page, pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    png = tmp_path / "print.png"
    if not browser.pdf_page_png(pdf, png, dpi=40):
        pytest.skip(f"pdftoppm (poppler-utils) is not installed: {browser.INSTALL}")
    _keep(png, f"{lang}-{name}-print.png")
    pixels = [p for row in browser.read_png(png) for p in row]
    dark = sum(1 for p in pixels if sum(p) < 150) / len(pixels)
    assert dark < 0.05, f"{dark:.0%} of the printed page is dark"
    inked = sum(1 for p in pixels if sum(p) < 600) / len(pixels)
    assert inked > 0.002, "the printed page is blank"
