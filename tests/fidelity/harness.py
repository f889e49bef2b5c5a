"""Run the corpus under ``python FILE`` and ``torch-tutor run FILE`` and compare what a user sees.

Each program in ``corpus/`` runs in its own copy of the corpus folder (so files it
writes and siblings it imports are where a script expects them), with the
arguments and standard input listed below. Stdout, stderr and the exit code are
compared after normalising what must differ between two runs anyway (the folder's
absolute path, object addresses) and the short allow-list of deliberate
differences (``ALLOWED``), each of which is documented in README ("Differences
from plain Python").

As a script it prints one line per program, then the pass count:

    .venv/bin/python tests/fidelity/harness.py          # through `python -m tutor run`
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ROOT = HERE.parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
TIMEOUT = 180

# Command-line arguments and standard input of the programs that need them.
ARGS: dict[str, list[str]] = {
    "argparse_demo.py": ["4", "--name", "tiny", "--lr", "0.1"],
    "argparse_error.py": ["four"],
    "sys_path_cwd.py": ["alpha", "--beta", "--timeout", "3"],
}
STDIN: dict[str, bytes] = {
    "input_read.py": b"Ada\n36\nextra words here\n",
    "stdin_lines.py": b"1\n2\n3\n",
}

# The deliberate differences, each a normalisation applied to both sides.
ALLOWED = {
    "library-frames": "traceback entries in files outside the script's folder (torch, the "
    "standard library) are hidden: the tutor shows the learner's own frames only",
    "recursion-depth": "the count in '[Previous line repeated N more times]': the tutor's own "
    "frames sit below the script, so the recursion limit strikes a few calls earlier",
}


# Programs that are scripts by nature, left out when the corpus is typed at the prompt, and
# why (each is a documented difference between the prompt and `python FILE`).
NOT_AT_THE_PROMPT = {
    "argparse_demo.py": "reads a script's command line",
    "argparse_error.py": "reads a script's command line",
    "sys_path_cwd.py": "a script's __file__, folder and arguments",
    "main_attributes.py": "a script's __file__ and loader",
    "exit_code_3.py": "ends the process (the prompt says so and goes on)",
    "exit_message.py": "ends the process (the prompt says so and goes on)",
    "exit_zero.py": "ends the process (the prompt says so and goes on)",
    "os_exit.py": "ends the process (the prompt says so and goes on)",
    "keyboard_interrupt.py": "at the prompt an interrupt stops the input, as Ctrl-C does",
    "excepthook.py": "the prompt shows errors itself, with an explanation",
    "threads_at_exit.py": "runs when the interpreter exits",
    "atexit_handler.py": "runs when the interpreter exits",
    "input_eof.py": "reads standard input (the prompt explains input())",
    "input_read.py": "reads standard input (the prompt explains input())",
    "stdin_lines.py": "reads standard input (the prompt explains input())",
    "coding_latin1.py": "a file's bytes and coding line",
    "coding_missing.py": "a file's bytes and coding line",
    "no_torch_predefined.py": "torch is predefined at the prompt",
    "helpers_mod.py": "a module other files import",
    "sibling_import.py": "imports a module from the script's folder",
    "sibling_error.py": "imports a module from the script's folder",
    "multiprocessing_pool.py": "needs shared memory (/dev/shm), closed to code at the prompt",
    "dataloader.py": "needs shared memory (/dev/shm), closed to code at the prompt",
}


def prompt_programs() -> list[str]:
    """The corpus programs that make sense typed at a prompt."""
    return [name for name in programs() if name not in NOT_AT_THE_PROMPT]


@dataclass(frozen=True)
class Result:
    """What a user sees of one run."""

    stdout: str
    stderr: str
    code: int


def programs() -> list[str]:
    """The corpus programs, by file name."""
    return sorted(p.name for p in CORPUS.glob("*.py"))


def workspace(parent: Path, name: str) -> Path:
    """A fresh copy of the corpus folder under ``parent``."""
    folder = parent / name
    shutil.copytree(CORPUS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def environ() -> dict[str, str]:
    """The same environment for both sides: no bytecode files, no inherited warning options."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    for key in ("PYTHONWARNINGS", "PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(key, None)
    return env


def _exit_code(code: int) -> int:
    # A process killed by signal N reads -N from subprocess and 128+N in a shell.
    return 128 - code if code < 0 else code


def run_python_prompt(folder: Path, name: str) -> Result:
    """``python -i`` fed the program's lines, as if typed at its prompt."""
    source = (CORPUS / name).read_bytes()
    proc = subprocess.run(
        [PYTHON, "-q", "-i"],
        cwd=folder,
        input=source,
        capture_output=True,
        timeout=TIMEOUT,
        env=environ(),
    )
    return Result(proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"), 0)


_HEADLINE = re.compile(r"^[ |+\-]*(?P<line>[A-Z]\w*(?:Error|Exception|Group)\b(?::.*)?)$")


def error_lines(text: str) -> list[str]:
    """The ``Type: message`` lines of every traceback in ``text``, addresses normalised."""
    found = []
    for line in text.splitlines():
        match = _HEADLINE.match(line.rstrip())
        if match:
            found.append(_ADDRESS.sub("0x?", match["line"]))
    return found


def run_python(folder: Path, name: str) -> Result:
    """``python FILE ARGS`` in ``folder``."""
    return _run([PYTHON, name, *ARGS.get(name, [])], folder, name)


def run_cli(folder: Path, name: str) -> Result:
    """``python -m tutor run FILE ARGS`` in ``folder``."""
    env_root = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    }
    command = [PYTHON, "-m", "tutor", "--lang", "en", "--timeout", "120", "run", name]
    return _run([*command, *ARGS.get(name, [])], folder, name, env_root)


def sandbox_runner(sandbox: object) -> Callable[[Path, str], Result]:
    """Run programs through ``tutor.runscript.run_file`` (what ``run`` calls) on one warm
    sandbox: the same path as the command line without a torch import per program."""
    from tutor.runscript import run_file

    def run(folder: Path, name: str) -> Result:
        out: list[str] = []
        err: list[str] = []
        read_end, write_end = os.pipe()
        os.write(write_end, STDIN.get(name, b""))
        os.close(write_end)
        before = os.getcwd()
        os.chdir(folder)
        try:
            code = run_file(
                sandbox, name, ARGS.get(name, []), stdin=read_end, out=out.append, err=err.append
            )
        finally:
            os.chdir(before)
            os.close(read_end)
        return Result("".join(out), "".join(err), code)

    return run


def _run(
    command: list[str], folder: Path, name: str, extra: dict[str, str] | None = None
) -> Result:
    stdin = STDIN.get(name)
    proc = subprocess.run(
        command,
        cwd=folder,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=TIMEOUT,
        env={**environ(), **(extra or {})},
    )
    return Result(
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        _exit_code(proc.returncode),
    )


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
_FILE_LINE = re.compile(r'^(?P<lead>[ |+\-]*?)(?P<indent> *)File "(?P<path>[^"]+)", line \d+')
_REPEATED = re.compile(r"\[Previous line repeated \d+ more times\]")


def normalise(text: str, folder: Path) -> str:
    """``text`` with the folder's path as ``<dir>``, addresses as ``0x?`` and the allow-list
    applied."""
    for path in sorted({str(folder), os.path.realpath(folder)}, key=len, reverse=True):
        text = text.replace(path, "<dir>")
    text = _ADDRESS.sub("0x?", text)
    text = _REPEATED.sub("[Previous line repeated N more times]", text)
    return _without_library_frames(text)


def _without_library_frames(text: str) -> str:
    lines = text.split("\n")
    kept: list[str] = []
    skip_prefix: str | None = None
    for line in lines:
        if skip_prefix is not None and line.startswith(skip_prefix):
            continue
        skip_prefix = None
        found = _FILE_LINE.match(line)
        if found and not found["path"].startswith("<dir>"):
            skip_prefix = found["lead"] + found["indent"] + "  "
            continue
        kept.append(line)
    return "\n".join(kept)


def compare(name: str, python: Result, tutor: Result, py_dir: Path, tutor_dir: Path) -> list[str]:
    """The differences left after normalising, as readable lines (empty when the same)."""
    problems = []
    for stream in ("stdout", "stderr"):
        want = normalise(getattr(python, stream), py_dir)
        got = normalise(getattr(tutor, stream), tutor_dir)
        if want != got:
            problems.append(f"{name}: {stream} differs\n--- python\n{want}\n--- tutor\n{got}")
    if python.code != tutor.code:
        problems.append(f"{name}: exit code python {python.code}, tutor {tutor.code}")
    return problems


def main(runner: Callable[[Path, str], Result] = run_cli) -> int:
    """Run every program both ways; print a line per program and the count that agree."""
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        py_dir = workspace(Path(tmp), "python")
        tutor_dir = workspace(Path(tmp), "tutor")
        passed = 0
        names = programs()
        for name in names:
            problems = compare(
                name, run_python(py_dir, name), runner(tutor_dir, name), py_dir, tutor_dir
            )
            passed += not problems
            print(("ok   " if not problems else "DIFF ") + name, flush=True)
            for problem in problems:
                print("    " + problem.replace("\n", "\n    "), flush=True)
        print(f"{passed} of {len(names)} programs behave as under python")
    return 0 if passed == len(names) else 1


if __name__ == "__main__":
    raise SystemExit(main())
