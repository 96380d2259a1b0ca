"""Installed from its wheel, outside any clone, policy-builder builds, lints and serves.

The wheel is made as a packager makes it: an sdist from the sources, then the wheel from the
unpacked sdist, so both must carry clauses/, templates/ (with reference.docx) and every
sub-package. pip installs it into a fresh virtual environment in a temporary folder, and the
commands run there, in a folder of their own, with no clone in sight. The dependencies come from
this run's own environment (a .pth file names its site-packages), so the test needs no network; pip
installs it with no index, so it proves the wheel's declared dependencies are what that environment provides.
Marked `install`: `make test` and CI run it (setuptools is in the test extra, for the sdist and wheel);
`pytest -m "not install"` leaves it out of a quick local run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import PROFILES, ROOT

pytestmark = pytest.mark.install

# What the sources are: everything else in a clone (tests, profiles, docs) stays out of the package.
SOURCES = ("pyproject.toml", "README.md", "policy_builder", "clauses", "templates")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build(hook: str, source: Path, out: Path) -> Path:
    """Call setuptools' build backend as pip or `python -m build` would, in a child process."""
    out.mkdir(exist_ok=True)
    code = f"import setuptools.build_meta as backend; print(backend.{hook}({str(out)!r}))"
    name = run([sys.executable, "-c", code], cwd=source).strip().splitlines()[-1]
    return out / name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: building writes egg-info and build/ beside the sources
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(ROOT / name, source / name)
    sdist = build("build_sdist", source, work / "dist")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        # The "data" filter where this Python has it (3.11.4 and later): no links or paths out of the folder.
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(work / "unpacked", **safe)
    top = sdist.name.removesuffix(".tar.gz")
    for needed in ("clauses/questionnaire.yaml", "clauses/01-purpose.yaml", "templates/reference.docx"):
        assert f"{top}/{needed}" in names, f"the sdist has no {needed}"
    return build("build_wheel", work / "unpacked" / top, work / "dist")


def test_the_wheel_carries_the_library_templates_and_every_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("clauses", "*.yaml"), ("templates", "*.j2")):
        for path in sorted((ROOT / folder).glob(pattern)):
            assert f"policy_builder/{folder}/{path.name}" in names, f"the wheel has no {folder}/{path.name}"
    assert "policy_builder/templates/reference.docx" in names
    assert "policy_builder/clauses/CHANGELOG.md" in names, "lint checks the library version's changelog entry"
    for init in sorted((ROOT / "policy_builder").rglob("__init__.py")):
        package = init.relative_to(ROOT).as_posix()
        assert package in names, f"the wheel has no {package}: add its package to pyproject.toml"
    # The web front end's own files (templates, static); compiled modules left by a run without
    # PYTHONPYCACHEPREFIX are not package data.
    for static in sorted((ROOT / "policy_builder" / "web").glob("*/*.*")):
        if static.parent.name != "__pycache__":
            assert static.relative_to(ROOT).as_posix() in names


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment outside the clone with the wheel installed: its bin folder."""
    venv = tmp_path_factory.mktemp("pipx") / "venv"
    # pip 22.3 and later installs into another environment (--python): the new one then needs no pip of its own.
    from pip import __version__ as pip_version

    remote = tuple(int(part) for part in pip_version.split(".")[:2]) >= (22, 3)
    run([sys.executable, "-m", "venv", *(["--without-pip"] if remote else []), str(venv)], cwd=venv.parent)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv).strip())
    # The dependencies: this environment's (no network). Only the folders: their own .pth files (this
    # clone's editable install among them) are not read, so the clone stays out of the new environment.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_policy_builder_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python)] if remote else [str(python), "-m", "pip"]
    pip.append("--disable-pip-version-check")
    # Without --no-deps and with no index: pip resolves every declared dependency (and theirs) against what
    # the environment has and fails naming any that is missing or of the wrong version, which a separate
    # `pip check` process (1.7 s of CPU) proved again.
    run([*pip, "install", "--no-index", "--quiet", str(wheel)], cwd=venv.parent)
    return venv / "bin"


@pytest.fixture
def user_env() -> dict[str, str]:
    """A user's environment: nothing pointing into the clone."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POLICY_BUILDER_LIBRARY", "VIRTUAL_ENV")}


def test_installed_package_finds_its_own_library_not_the_clone(installed, tmp_path, user_env):
    code = (
        "import policy_builder, policy_builder.content.library as l; "
        "print(policy_builder.__file__); print(l.default_library_dir()); print(l.DATA_ROOT)"
    )
    where = run([str(installed / "python"), "-c", code], tmp_path, user_env).splitlines()
    venv = installed.parent.resolve()
    for line in where:
        assert Path(line).resolve().is_relative_to(venv), f"{line} is not inside the new environment {venv}"
        assert not Path(line).resolve().is_relative_to(ROOT), line


def test_installed_command_builds_and_lints_from_any_folder(installed, tmp_path, user_env):
    folder = tmp_path / "somewhere"
    folder.mkdir()
    shutil.copy(PROFILES / "example-council.yaml", folder / "my.yaml")
    program = str(installed / "policy-builder")
    out = run([program, "build", "my.yaml", "--out", "policy"], folder, user_env)
    assert "eastbrook-council-social-media-policy.docx" in out, out
    built = {path.name for path in (folder / "policy").iterdir()}
    for name in ("social-media-policy.docx", "social-media-policy.md", "practice-guide.docx", "gap-report.md"):
        assert f"eastbrook-council-{name}" in built, built
    policy = (folder / "policy" / "eastbrook-council-social-media-policy.md").read_text(encoding="utf-8")
    assert "Eastbrook" in policy and "{{" not in policy
    lint = run([program, "lint"], folder, user_env)
    assert lint.startswith("Library OK: "), lint
    # --library and the environment variable still choose another library.
    copy = tmp_path / "our-clauses"
    shutil.copytree(ROOT / "clauses", copy)
    user_env["POLICY_BUILDER_LIBRARY"] = str(copy / "missing")
    failed = subprocess.run([program, "lint"], cwd=folder, env=user_env, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2 and "clause library folder not found" in failed.stderr + failed.stdout
    questions = run([program, "--library", str(copy), "questions"], folder, user_env)
    assert "organisation.name" in questions


def test_installed_command_serves_the_start_page(installed, tmp_path, user_env):
    process = subprocess.Popen(
        [str(installed / "policy-builder"), "serve", "--no-browser", "--port", "0"],
        cwd=tmp_path,
        env=user_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The default Ctrl-C handling, even when this run started with SIGINT ignored (nohup, a background job).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = process.stdout.readline()
        address = re.search(r"(http://127\.0\.0\.1:\d+/\?key=[\w-]+)", first)
        assert address, first + process.stderr.read()
        with urllib.request.urlopen(address.group(1), timeout=30) as response:
            assert "Write your social media policy" in response.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert process.returncode == 0 and "Stopped." in out, err
