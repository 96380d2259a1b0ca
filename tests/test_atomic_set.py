"""A build writes its files as one set (issue 18): a failure anywhere leaves the previous set byte-for-byte."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import PROFILES

from policy_builder.cli import CliContext, main
from policy_builder.content.library import Library
from policy_builder.core import output

EXAMPLE = PROFILES / "example-council.yaml"


def run(*args: Any, library: Library) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], obj=CliContext(loaded=library))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def changed_profile(tmp_path: Path) -> Path:
    """The example council with another version number: every output of its build differs from the first."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert 'version: "1.0"' in text
    path = tmp_path / "example-council.yaml"
    path.write_text(text.replace('version: "1.0"', 'version: "2.0"', 1), encoding="utf-8")
    return path


@pytest.fixture
def issued(example_issue, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = example_issue(tmp_path / "out")  # as `build` left it (built once a run)
    before = snapshot(out)
    assert len(before) == 8, sorted(before)
    return out, before


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def assert_intact(out: Path, before: dict[str, bytes]) -> None:
    assert snapshot(out) == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "staging or temporary files left behind"


def test_a_folder_where_an_output_goes_is_refused_before_anything_is_written(library, issued, tmp_path):
    out, before = issued
    manifest = next(out.glob("*-manifest.json"))
    manifest.unlink()
    manifest.mkdir()
    del before[manifest.name]
    message = one_error(run("build", changed_profile(tmp_path), "--out", out, library=library))
    assert message.endswith(
        "-manifest.json: is a folder where the build writes a file; move it or choose another --out"
    )
    assert_intact(out, before)


def test_a_full_disk_while_staging_leaves_the_old_set_byte_for_byte(library, issued, tmp_path, monkeypatch):
    out, before = issued
    written = 0
    real = output._write_file

    def fill_after(path: Path, payload: bytes, mode: int) -> None:
        nonlocal written
        if written + len(payload) > 150_000:  # the disk fills part-way through the set
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written += len(payload)
        real(path, payload, mode)

    monkeypatch.setattr(output, "_write_file", fill_after)
    message = one_error(run("build", changed_profile(tmp_path), "--out", out, library=library))
    assert "cannot write (No space left on device); the previous files are unchanged" in message, message
    assert 0 < written < sum(map(len, before.values()))
    assert_intact(out, before)


def test_a_failure_while_moving_the_set_into_place_puts_the_old_set_back(library, issued, tmp_path, monkeypatch):
    out, before = issued
    moves = 0
    real = os.replace

    def fail_on_fourth(source: Any, target: Any) -> None:
        nonlocal moves
        if Path(target).parent == out:
            moves += 1
            if moves == 4:  # three new files are in place already
                raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(source, target)

    monkeypatch.setattr(output.os, "replace", fail_on_fourth)
    message = one_error(run("build", changed_profile(tmp_path), "--out", out, library=library))
    assert "the previous files are unchanged" in message, message
    assert moves >= 4
    assert_intact(out, before)


def test_a_new_set_replaces_the_old_one_whole(library, issued, tmp_path):
    out, before = issued
    result = run("build", changed_profile(tmp_path), "--out", out, library=library)
    assert result.exit_code in (0, 1), result.output
    after = snapshot(out)
    assert set(after) == set(before)
    assert all(after[name] != before[name] for name in after if not name.endswith("gap-report.md"))
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def _mount_tiny_filesystem(folder: Path, size: str) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def test_a_really_full_filesystem_leaves_the_old_set_byte_for_byte(library, tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tiny_filesystem(disk, "640k"):
        pytest.skip("mounting a small filesystem needs root")
    try:
        out = disk / "out"
        result = run("build", EXAMPLE, "--out", out, library=library)
        assert result.exit_code in (0, 1), result.output
        before = snapshot(out)
        used = sum(map(len, before.values()))
        # Fill the disk so the old set fits but a second copy does not.
        filler = disk / "filler"
        with filler.open("wb") as handle:
            try:
                handle.write(b"x" * (640 * 1024 - used - 60 * 1024))
            except OSError:
                pass
        message = one_error(run("build", changed_profile(tmp_path), "--out", out, library=library))
        assert "No space left on device" in message and "the previous files are unchanged" in message, message
        assert_intact(out, before)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
