import os

import pytest

from policy_builder.core.errors import OutputError
from policy_builder.core.output import atomic_write, output_paths, slugify


def test_slug_is_safe_and_readable():
    assert slugify("London Borough of Eastbrook") == "london-borough-of-eastbrook"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("Cyngor Sir Ynys Môn") == "cyngor-sir-ynys-mon"
    assert slugify("👍") == "policy"


def test_output_paths_stay_in_the_folder(tmp_path):
    paths = output_paths(tmp_path, slugify("../x"))
    assert all(p.parent == tmp_path for p in paths.values())


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "policy.md"
    atomic_write(target, "old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["policy.md"]


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "policy.md"
    atomic_write(target, "last good policy")

    def broken_replace(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OutputError):
        atomic_write(target, "half")
    assert target.read_text() == "last good policy"
    assert os.listdir(tmp_path) == ["policy.md"]
