"""The corpus typed at the tutor's prompt, against Python fed the same.

A real ``Session`` with the terminal UI (``PromptUI``: the key bindings a learner
has) reads keys from a pipe, as prompt_toolkit's own tests do, on one warm
sandbox. Each program is typed two ways:

- line by line, as a learner types (the auto-indent cleared before each line),
  compared with ``python -i`` fed the same lines: no SyntaxError Python's prompt
  would not show (it may show fewer: a statement after a block without a blank
  line runs here, as in IPython, where ``python -i`` stops, so what runs after
  such a place, and the errors it meets, may be the script's rather than
  ``python -i``'s);
- as one bracketed paste, which the tutor runs as one cell (as IPython does),
  compared with ``python FILE``: the same errors.

Either way every line the program prints appears, in order, and no pasted or
typed line is ever taken for a question. The echo of a final expression is the
one documented addition.
"""

from __future__ import annotations

import functools
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.fidelity import harness
from tutor.course import load_lesson
from tutor.progress import Store
from tutor.render.terminal import as_shown
from tutor.session.conversation import Session
from tutor.session.prompt import PromptUI
from tutor.session.ui import PlainUI, make_console

LESSON = Path(__file__).parent / "lessons" / "fidelity.toml"
# What answering a question shows: answers found, or none found.
QUESTION = re.compile("From the course:|I found nothing about that in the course")
FRESH_LINE = "\x01\x0b"  # Ctrl-A, Ctrl-K: clear the indentation Enter put there
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


def type_at_prompt(sandbox: Any, keys: str) -> str:
    """What a session at the fidelity lesson's prompt shows for ``keys`` (then Ctrl-D)."""
    lesson, errors = load_lesson(LESSON)
    assert lesson is not None, errors
    out = io.StringIO()
    console = make_console(out, width=100, plain=True)
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        ui = PromptUI(console, sandbox, None, "en", input=inp, output=DummyOutput())
        session = Session([lesson], sandbox, Store(None), ui, "en", save=False)
        inp.send_text(keys + "\x04")
        session.run(lesson.id, "play")
    return as_shown(out.getvalue())


def piped(sandbox: Any, source: str) -> str:
    """What a plain session (no terminal: lines from a pipe) shows for ``source``."""
    lesson, errors = load_lesson(LESSON)
    assert lesson is not None, errors
    out = io.StringIO()
    ui = PlainUI(make_console(out, width=100, plain=True), io.StringIO(source), echo=False)
    Session([lesson], sandbox, Store(None), ui, "en", save=False).run(lesson.id, "play")
    return out.getvalue()


def _syntax_kinds(lines: Any) -> Counter[str]:
    kinds = Counter(line.split(":")[0] for line in lines)
    return Counter({kind: n for kind, n in kinds.items() if kind in _SYNTAX})


def typed_line_by_line(source: str) -> str:
    return "".join(FRESH_LINE + line + "\r" for line in source.splitlines()) + "\r"


def pasted(source: str) -> str:
    return PASTE_START + source + PASTE_END + "\r"


def assert_prints_in_order(expected: str, shown: str) -> None:
    """Every non-empty line ``expected`` shows appears in ``shown``, in order."""
    position = 0
    for line in as_shown(expected).splitlines():
        line = harness._ADDRESS.sub("0x?", line.rstrip())
        if not line.strip():
            continue
        found = harness._ADDRESS.sub("0x?", shown).find(line, position)
        assert found >= 0, f"missing {line!r} after position {position}:\n{shown}"
        position = found + len(line)


@functools.cache
def _python_prompt(folder: Path, name: str) -> harness.Result:
    return harness.run_python_prompt(folder, name)


@functools.cache
def _python_file(folder: Path, name: str) -> harness.Result:
    return harness.run_python(folder, name)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return harness.workspace(tmp_path_factory.mktemp("prompt"), "python")


def test_the_prompt_corpus_is_most_of_the_corpus() -> None:
    assert len(harness.prompt_programs()) >= 35


@pytest.mark.parametrize("mode", ["terminal", "pipe"])
@pytest.mark.parametrize("name", harness.prompt_programs())
def test_typed_line_by_line_as_python_i(
    name: str, mode: str, folder: Path, script_sandbox: Any
) -> None:
    source = (harness.CORPUS / name).read_text(encoding="utf-8")
    python_i = _python_prompt(folder, name)
    script = _python_file(folder, name)
    if mode == "terminal":
        shown = type_at_prompt(script_sandbox, typed_line_by_line(source))
    else:
        shown = piped(script_sandbox, source)
    assert not QUESTION.search(shown), shown
    mine = Counter(harness.error_lines(shown))
    # A SyntaxError's words may differ (Python's prompt cannot look ahead for an unclosed
    # bracket; the tutor compiles the whole input, as `python FILE` does): compare kinds.
    assert not _syntax_kinds(mine) - _syntax_kinds(harness.error_lines(python_i.stderr)), (
        shown,
        python_i.stderr,
    )
    # Where `python -i` stopped at a statement that follows a block without a blank line,
    # the tutor ran it: then what it prints is what the script prints.
    try:
        assert_prints_in_order(python_i.stdout, shown)
    except AssertionError:
        assert_prints_in_order(script.stdout, shown)


@pytest.mark.parametrize("name", harness.prompt_programs())
def test_pasted_as_one_cell_as_python_file(name: str, folder: Path, script_sandbox: Any) -> None:
    source = (harness.CORPUS / name).read_text(encoding="utf-8")
    script = _python_file(folder, name)
    shown = type_at_prompt(script_sandbox, pasted(source))
    assert not QUESTION.search(shown), shown
    assert harness.error_lines(shown) == harness.error_lines(script.stderr), shown
    assert_prints_in_order(script.stdout, shown)


def test_input_at_the_prompt_is_explained(script_sandbox: Any) -> None:
    shown = type_at_prompt(script_sandbox, 'name = input("Your name? ")\r')
    assert "EOFError: EOF when reading a line" in shown
    assert "What this means" in shown and "python -m tutor run FILE" in shown
