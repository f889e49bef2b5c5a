"""Where the sandbox cannot run, and what ``doctor`` says about the protections."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tutor import cli


@pytest.mark.parametrize(("lang", "word"), [("en", "WSL2"), ("zh", "WSL2")])
def test_native_windows_gets_a_message_naming_wsl2_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str, word: str
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    for argv in ([], ["check", "tensors", "scalar", "a.py"], ["doctor"], ["validate"]):
        assert cli.main([*argv, "--lang", lang]) == 3
        err = capsys.readouterr().err
        assert word in err and "Traceback" not in err
        assert ("沙箱" in err) == (lang == "zh")
    # Reading the course needs no sandbox: it still works.
    assert cli.main(["lessons", "--lang", lang]) == 0


def test_a_python_without_fork_is_refused_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delattr(os, "fork")
    assert "os.fork" in cli.unsupported_reason("linux")


def test_doctor_lists_every_protection(tmp_path) -> None:
    from tutor.sandbox import confine, messages

    ran = subprocess.run(
        [sys.executable, "-m", "tutor", "doctor", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr
    for key in messages.PROTECTIONS:
        assert messages.protection_name(key, "en") in ran.stdout
    if confine.abi_version():
        assert f"Landlock: ABI {confine.abi_version()}" in ran.stdout
        assert "✗" not in ran.stdout.split("files:")[1].splitlines()[0]
    else:
        assert "Landlock: unavailable" in ran.stdout
