"""Code as learners bring it, in a real pseudo-terminal: typed with the auto-indent, and
pasted (bracketed paste) from a tutorial file, with blank lines inside docstrings,
brackets and blocks. No SyntaxError Python would not give, no line taken for a question."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from .pty import PROMPT, leave, spawn  # noqa: E402 - after importorskip

ROOT = Path(__file__).resolve().parents[2]
LESSONS = str(ROOT / "tests" / "fidelity" / "lessons")
CORPUS = ROOT / "tests" / "fidelity" / "corpus"
NOT_PYTHON = r"SyntaxError|IndentationError|From the course|I found nothing"


@pytest.fixture()
def tutor(tmp_path: Path) -> Iterator[pexpect.spawn]:
    child = spawn(tmp_path / "progress.sqlite3", "--lessons", LESSONS, "--lesson", "fidelity")
    child.expect("Type any Python")
    child.expect_exact(PROMPT)
    yield child
    leave(child)


def test_a_pasted_tutorial_file_runs_as_one_cell(tutor: pexpect.spawn) -> None:
    source = (CORPUS / "tutorial_style.py").read_text(encoding="utf-8")
    tutor.send("\x1b[200~" + source + "\x1b[201~")
    tutor.send("\r")
    found = tutor.expect([NOT_PYTHON, r"Datatype of tensor: torch\.int64"])
    assert found == 1, tutor.before
    tutor.expect_exact(PROMPT)


def test_typed_with_the_auto_indent_as_a_learner_types(tutor: pexpect.spawn) -> None:
    # Enter gives the indentation; a docstring's blank line and Args: keep it, the comment
    # keeps the block's, Backspace takes a level back, `return` ends the block.
    keys = [
        "def fit(epochs):",
        '"""Fit the model.',
        "",
        "Args:",
        "    epochs: how many passes over the data.",
        '\x7f"""',
        "# the comment keeps the body's indentation: it's not the end:",
        "return 0.5 / epochs",
        'print("fit gives", fit(5), fit.__doc__.count(chr(10)))',
    ]
    tutor.send("".join(key + "\r" for key in keys))
    found = tutor.expect([NOT_PYTHON, r"fit gives 0\.1 4"])
    assert found == 1, tutor.before
    tutor.expect_exact(PROMPT)


def test_a_bracket_left_open_over_a_blank_line(tutor: pexpect.spawn) -> None:
    tutor.send('print("total", sum([1,\r\r2]))\r')
    found = tutor.expect([NOT_PYTHON, "total 3"])
    assert found == 1, tutor.before


def test_inside_a_block_the_hint_says_how_to_run_it(tutor: pexpect.spawn) -> None:
    tutor.send('if True:\ry = 21\rprint("answer", y * 2)')
    tutor.send("\x1b[A\x1b[A")  # up to the block's first line
    tutor.expect("Alt-Enter")
    tutor.send("\x1b\r")  # Alt-Enter runs the block from there
    found = tutor.expect([NOT_PYTHON, "answer 42"])
    assert found == 1, tutor.before


@pytest.mark.timeout(900)
def test_every_prompt_program_of_the_corpus_pasted_in_a_terminal(tmp_path: Path) -> None:
    """The corpus (tests/fidelity) pasted into one session, one program after another with
    /reset between: each prints what `python FILE` prints, with no SyntaxError Python would
    not give and no line taken for a question."""
    from tests.fidelity import harness
    from tutor.render.terminal import as_shown

    folder = harness.workspace(tmp_path, "python")
    child = spawn(tmp_path / "progress.sqlite3", "--lessons", LESSONS, "--lesson", "fidelity")
    try:
        child.expect("Type any Python")
        for name in harness.prompt_programs():
            expected = harness.run_python(folder, name)
            printed = [line for line in as_shown(expected.stdout).splitlines() if line.strip()]
            errors = harness.error_lines(expected.stderr)
            source = (CORPUS / name).read_text(encoding="utf-8")
            # What shows only once the code ran: a line not in the source (which the
            # prompt shows as it is pasted), else a printed line on a line of its own.
            unique = [line for line in [*errors, *printed][::-1] if line not in source]
            marker = (
                _literal(harness._ADDRESS.sub("0x", unique[0]))
                if unique
                else "\n" + _literal(printed[-1]) + "\r\n"
            )
            child.send("/reset\r")
            child.expect("namespace was reset")
            child.send("\x1b[200~" + source + "\x1b[201~\r")
            wrong = NOT_PYTHON if not errors else "From the course|I found nothing"
            found = child.expect([wrong, marker])
            assert found == 1, (name, child.before)
    finally:
        leave(child)


def _literal(line: str) -> str:
    """A pattern for ``line`` as the terminal shows it (any address where it had one)."""
    import re

    return re.escape(line.rstrip()).replace("0x", "0x[0-9a-f]+")
