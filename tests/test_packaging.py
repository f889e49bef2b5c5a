"""An installed wheel carries the course: ``pip install .`` then run from another folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.mark.skipif(
    shutil.which("git") is None and not (ROOT / ".git").exists(), reason="needs the source tree"
)
def test_installed_package_finds_the_course(tmp_path):
    # A fresh venv that sees this interpreter's packages (torch, setuptools) but installs
    # the tutor itself from the source tree, without build isolation (no network).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    site = _run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    pth = next((env_dir / "lib").glob("python*/site-packages"))
    (pth / "outer.pth").write_text(site.stdout.strip() + "\n", encoding="utf-8")
    build = tmp_path / "src"
    shutil.copytree(
        ROOT,
        build,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "*.egg-info", "build", "__pycache__", ".pytest_cache", "tests"
        ),
    )
    install = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(build),
        ],
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run(
        [
            str(python),
            "-c",
            "import tutor, tutor.course.files, tutor.i18n; print(tutor.__file__); "
            "print(tutor.course.files.builtin_dir()); print(','.join(tutor.i18n.LANGS))",
        ],
        cwd=elsewhere,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    module_file, course, langs = where.stdout.split()
    assert langs == "en,zh"  # the string catalogs travel in the wheel
    assert str(env_dir) in module_file and str(env_dir) in course
    listed = _run([str(python), "-m", "tutor", "lessons", "--json"], cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr
    ids = [lesson["id"] for lesson in json.loads(listed.stdout)]
    assert {"creating-tensors", "autograd", "autograd-more", "training-loop", "digits"} <= set(ids)
    # The course data the set-ups read ships with the lessons, its licence note beside it.
    data = Path(course) / "data"
    assert (data / "digits.csv.gz").is_file() and (data / "README.md").is_file()
    assert (data / "digits.csv.gz").read_bytes() == (
        ROOT / "lessons/data/digits.csv.gz"
    ).read_bytes()


def test_every_subpackage_is_listed_in_pyproject():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    inits = [p for p in (ROOT / "tutor").rglob("__init__.py") if "__pycache__" not in p.parts]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in inits}
    assert found | {"tutor.lessons"} == listed
    assert config["tool"]["setuptools"]["package-dir"]["tutor.lessons"] == "lessons"
    assert "*.toml" in config["tool"]["setuptools"]["package-data"]["tutor.lessons"]
    assert "catalogs/*.toml" in config["tool"]["setuptools"]["package-data"]["tutor"]
