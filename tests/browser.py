"""A real headless browser for the handout tests: Chromium from the system packages.

``chromium()`` finds it (None where it is absent: the tests skip, saying how to
install it); ``screenshot`` and ``print_pdf`` run it headless with a fresh profile;
``pdf_page_png`` rasterises a printed page with poppler's ``pdftoppm``; ``read_png``
decodes the 8-bit RGB(A) PNGs they write (stdlib zlib only, no imaging library).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from pathlib import Path

INSTALL = "apt-get install -y chromium fonts-noto-cjk poppler-utils"
_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def chromium() -> str | None:
    """The Chromium (or Chrome) executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(*args: str) -> None:
    browser = chromium()
    assert browser is not None
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        subprocess.run(
            [browser, *_FLAGS, f"--user-data-dir={profile}", *args],
            check=True,
            capture_output=True,
            timeout=180,
        )


def screenshot(page: Path, png: Path, width: int = 900, height: int = 1200) -> None:
    """A screenshot of ``page`` as a screen shows it."""
    _run(f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri())


def print_pdf(page: Path, pdf: Path) -> None:
    """``page`` printed to PDF, as "Print -> Save as PDF" does."""
    _run("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())


def pdf_page_png(pdf: Path, png: Path, dpi: int = 80) -> bool:
    """The first page of ``pdf`` as a PNG (poppler's pdftoppm); False when it is missing."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return False
    stem = png.with_suffix("")
    subprocess.run(
        [tool, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png.exists()


Pixels = list[list[tuple[int, int, int]]]


def read_png(path: Path) -> Pixels:
    """Rows of (r, g, b) pixels of an 8-bit, non-interlaced RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: Pixels = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, step)
        rows.append([(line[x], line[x + 1], line[x + 2]) for x in range(0, stride, step)])
        previous = line
    return rows


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> None:
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        up = previous[i]
        corner = previous[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + pred) & 0xFF


RGB = tuple[int, int, int]


def _inked(p: RGB, colour: RGB, background: RGB) -> bool:
    """Whether ``p`` is ``colour`` drawn over ``background``, at least a third covered (a
    1-pixel line at a fractional x is anti-aliased over two columns)."""
    ink = [c - b for c, b in zip(colour, background, strict=True)]
    seen = [q - b for q, b in zip(p, background, strict=True)]
    norm = sum(i * i for i in ink)
    share = sum(i * s for i, s in zip(ink, seen, strict=True)) / norm
    residual = sum((s - share * i) ** 2 for i, s in zip(ink, seen, strict=True)) ** 0.5
    return share >= 0.33 and residual < 40


def right_border(pixels: Pixels, colour: RGB) -> list[int]:
    """The right border of the tallest panel drawn in ``colour``: for each pixel row of the
    panel, the x of its rightmost pixel in that colour.

    The panel is the longest run of rows (gaps of a few rows between lines allowed) in
    which the page's most common left edge of that colour, its left border, is inked.
    """
    background = pixels[2][2]
    inked = [
        [x for x, p in enumerate(row) if p != background and _inked(p, colour, background)]
        for row in pixels
    ]
    left = Counter(xs[0] for xs in inked if xs).most_common(1)[0][0]
    runs: list[list[int]] = []
    last = -10
    for y, xs in enumerate(inked):
        if any(abs(x - left) <= 1 for x in xs[:3]):
            if y - last > 4:
                runs.append([])
            runs[-1].append(y)
            last = y
    panel = max(runs, key=len)
    return [inked[y][-1] for y in panel]
